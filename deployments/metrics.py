"""The gateway's metrics: HTTP requests by route template, method and status with their latency, and refusals."""

from __future__ import annotations

from aura import counter, histogram

REQUESTS = counter("aura_http_requests_total", "HTTP requests answered.", ("route", "method", "status"))
LATENCY = histogram("aura_http_request_seconds", "Time to the end of each HTTP answer.", ("route", "method"))
RATE_LIMITED = counter(
    "aura_rate_limited_total", "Bearer and unsigned requests refused by a rate limit, by bucket kind.", ("bucket",)
)
UNAVAILABLE = counter("aura_unavailable_total", "Requests answered 503 because a part was down, by code.", ("code",))
