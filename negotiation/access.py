"""Admitting signed agent requests: headers, clock skew, signature, replay and the per-DID rate limit.

Replay and rate state live in PostgreSQL and are checked in one statement,
so every replica of the gateway shares them and a request costs one round
trip. A replayed request does not spend a token.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from negotiation.identity import IdentityError, signing_payload, verify_signature
from negotiation.settings import NegotiationSettings

_PURGE_EVERY_S = 30.0

_ADMIT = """
WITH seen AS (
    INSERT INTO agent_signatures (signature) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1
), bucket AS (
    INSERT INTO agent_rate_limits AS b (agent_did, tokens, last_allowed, updated_at)
    SELECT $2, $3 - 1, true, now() WHERE EXISTS (SELECT 1 FROM seen)
    ON CONFLICT (agent_did) DO UPDATE SET
        last_allowed = LEAST($3, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * $4) >= 1,
        tokens = LEAST($3, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * $4)
                 - CASE WHEN LEAST($3, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * $4) >= 1
                        THEN 1 ELSE 0 END,
        updated_at = now()
    RETURNING tokens, last_allowed
)
SELECT EXISTS (SELECT 1 FROM seen) AS fresh, (SELECT tokens FROM bucket) AS tokens,
       (SELECT last_allowed FROM bucket) AS allowed
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
        row = await self._db.fetchrow(_ADMIT, signature.lower(), did, self._capacity, self._rate)
        if not row["fresh"]:
            raise AccessDenied(401, "replayed", "this signature was already used")
        tokens = float(row["tokens"])
        rate_headers = self._rate_headers(tokens)
        if not row["allowed"]:
            retry = max(1, math.ceil((1.0 - tokens) / self._rate))
            raise AccessDenied(429, "rate_limited", f"more than {self._limit} requests per minute",
                               {"Retry-After": str(retry), **rate_headers})
        return Admission(did, rate_headers)
