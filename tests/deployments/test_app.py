"""The gateway app's correlation: every answer names its request and its trace, continuing the caller's trace."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace

from aura.settings import Settings
from aura.telemetry import configure_tracing
from deployments.app import build_api

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def api(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> httpx.ASGITransport:
    """The app as the gateway builds it when nothing records spans (its secrets in the session's data directory)."""
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        configure_tracing("aura-tests")
    return httpx.ASGITransport(app=build_api())


async def _get(api: httpx.ASGITransport, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=api, base_url="http://aura") as client:
        return await client.get("/openapi.json", headers=headers)


async def test_each_request_gets_a_trace_of_its_own(api: httpx.ASGITransport) -> None:
    first, second = await _get(api), await _get(api)
    ids = [answer.headers["X-Trace-ID"] for answer in (first, second)]
    assert all(len(i) == 32 and int(i, 16) for i in ids) and ids[0] != ids[1]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_a_caller_s_traceparent_is_continued(api: httpx.ASGITransport) -> None:
    answer = await _get(api, {"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01", "X-Request-ID": "r-7"})
    assert answer.headers["X-Trace-ID"] == CALLER_TRACE
    assert answer.headers["X-Request-ID"] == "r-7"


async def test_a_malformed_traceparent_starts_a_new_trace(api: httpx.ASGITransport) -> None:
    answer = await _get(api, {"traceparent": "00-not-a-trace-01"})
    assert answer.status_code == 200
    assert len(answer.headers["X-Trace-ID"]) == 32 and answer.headers["X-Trace-ID"] != CALLER_TRACE
