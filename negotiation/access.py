"""Admitting signed agent requests: headers, clock skew, signature, replay and the per-DID rate limit.

Replay and rate state live in PostgreSQL, so every replica of the gateway
shares them. Requests checked while a check is in flight are admitted
together by the next one, one round trip for the lot, each with the rules
of one request. A replayed request does not spend a token.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from aura.coalesce import Coalescer
from negotiation.identity import IdentityError, signing_payload, verify_signature
from negotiation.settings import NegotiationSettings

_PURGE_EVERY_S = 30.0

# One round trip admits every request the gateway gathered meanwhile (migration 0011).
_ADMIT = """
SELECT req, is_fresh, tokens_left, is_allowed FROM admit_requests($1::text[], $2::text[], $3, $4)
"""


class AccessDenied(Exception):
    """A request that is not admitted: HTTP `status`, machine-readable `code`, and headers to send."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


@dataclass(frozen=True, slots=True)
class Admission:
    """An admitted agent and its rate-limit headers."""

    agent_did: str
    headers: dict[str, str]


class AgentGate:
    """Checks the signed headers of agent requests against one database."""

    def __init__(self, db: asyncpg.Pool, settings: NegotiationSettings) -> None:
        self._db = db
        self._skew = settings.clock_skew_s
        self._capacity = float(settings.bucket_size)
        self._rate = settings.rate_limit_per_minute / 60.0
        self._limit = str(settings.rate_limit_per_minute)
        self._last_purge = 0.0
        self._checks: Coalescer[tuple[str, str], tuple[bool, float | None, bool | None]] = Coalescer(self._check_many)

    async def _check_many(self, requests: list[tuple[str, str]]) -> list[tuple[bool, float | None, bool | None]]:
        rows = await self._db.fetch(_ADMIT, [s for s, _ in requests], [d for _, d in requests],
                                    self._capacity, self._rate)
        found = {row["req"]: (row["is_fresh"], row["tokens_left"], row["is_allowed"]) for row in rows}
        return [found[i] for i in range(1, len(requests) + 1)]

    def _rate_headers(self, tokens: float) -> dict[str, str]:
        full_in = math.ceil(max(0.0, self._capacity - tokens) / self._rate)
        return {"X-RateLimit-Limit": self._limit, "X-RateLimit-Remaining": str(max(0, math.floor(tokens))),
                "X-RateLimit-Reset": str(full_in)}

    async def _purge(self) -> None:
        # Signatures older than twice the skew can no longer pass the timestamp check,
        # so they need not be remembered.
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        await self._db.execute(
            "DELETE FROM agent_signatures WHERE seen_at < now() - make_interval(secs => $1)", float(2 * self._skew + 5)
        )

    async def admit(self, method: str, path: str, headers: Mapping[str, str], body: bytes,
                    now: float | None = None) -> Admission:
        """The admitted agent, or AccessDenied (401 missing_headers/bad_did/clock_skew/bad_signature/replayed, 429)."""
        did, stamp, signature = headers.get("x-agent-id"), headers.get("x-timestamp"), headers.get("x-signature")
        if not did or not stamp or not signature:
            raise AccessDenied(401, "missing_headers", "X-Agent-ID, X-Timestamp and X-Signature are required")
        if not stamp.isdigit() or len(stamp) > 12:
            raise AccessDenied(401, "clock_skew", "X-Timestamp must be Unix seconds")
        current = time.time() if now is None else now
        if abs(current - int(stamp)) > self._skew:
            raise AccessDenied(401, "clock_skew", f"X-Timestamp is more than {self._skew} s from the server clock")
        try:
            verify_signature(did, signature, signing_payload(method, path, stamp, body))
        except IdentityError as exc:
            raise AccessDenied(401, exc.code, str(exc)) from None
        await self._purge()
        fresh, left, allowed = await self._checks.submit((signature.lower(), did))
        if not fresh:
            raise AccessDenied(401, "replayed", "this signature was already used")
        tokens = float(left or 0.0)
        rate_headers = self._rate_headers(tokens)
        if not allowed:
            retry = max(1, math.ceil((1.0 - tokens) / self._rate))
            raise AccessDenied(429, "rate_limited", f"more than {self._limit} requests per minute",
                               {"Retry-After": str(retry), **rate_headers})
        return Admission(did, rate_headers)
