"""Token buckets shared by every replica, in PostgreSQL: one per user, client address or agent, per kind of request.

A bucket holds up to `capacity` tokens and refills at `per_minute` tokens a
minute; each request spends one. Buckets live in `rate_buckets`, so every
gateway replica enforces one limit, and the requests that check while a
check is in flight share one round trip (`aura.coalesce`). A bucket nobody
used for an hour is full again and is deleted; a missing bucket is full.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import asyncpg

from aura.coalesce import Coalescer

_TAKE = "SELECT req, tokens_left, is_allowed FROM take_tokens($1::text[], $2::float8[], $3::float8[])"
_IDLE_S = 3600.0
_PURGE_EVERY_S = 300.0


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket's rule: `per_minute` tokens a minute, up to `burst` (default: the per-minute count) at once."""

    per_minute: int
    burst: int | None = None

    @property
    def capacity(self) -> int:
        """The most tokens the bucket holds."""
        return self.burst or self.per_minute

    @property
    def per_second(self) -> float:
        """The refill rate."""
        return self.per_minute / 60.0

    def headers(self, tokens: float) -> dict[str, str]:
        """The `X-RateLimit-*` headers of a bucket holding `tokens` after a request."""
        full_in = math.ceil(max(0.0, self.capacity - tokens) / self.per_second)
        return {
            "X-RateLimit-Limit": str(self.per_minute),
            "X-RateLimit-Remaining": str(max(0, math.floor(tokens))),
            "X-RateLimit-Reset": str(full_in),
        }

    def retry_after(self, tokens: float) -> int:
        """Seconds until a bucket holding `tokens` holds one whole token."""
        return max(1, math.ceil((1.0 - tokens) / self.per_second))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may go on, with the headers its answer carries (`Retry-After` too when it may not)."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Spends tokens from named buckets in one database."""

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db
        self._checks: Coalescer[tuple[str, Rate], Verdict] = Coalescer(self._take_many)
        self._last_purge = time.monotonic()

    async def take(self, bucket: str, rate: Rate) -> Verdict:
        """Spend one token of `bucket` under `rate`."""
        return await self._checks.submit((bucket, rate))

    async def _take_many(self, requests: list[tuple[str, Rate]]) -> list[Verdict | BaseException]:
        await self._purge()
        rows = await self._db.fetch(
            _TAKE,
            [bucket for bucket, _ in requests],
            [float(rate.capacity) for _, rate in requests],
            [rate.per_second for _, rate in requests],
        )
        found = {row["req"]: row for row in rows}
        verdicts: list[Verdict | BaseException] = []
        for i, (_, rate) in enumerate(requests, start=1):
            tokens = float(found[i]["tokens_left"])
            headers = rate.headers(tokens)
            if found[i]["is_allowed"]:
                verdicts.append(Verdict(True, headers))
            else:
                verdicts.append(Verdict(False, {"Retry-After": str(rate.retry_after(tokens)), **headers}))
        return verdicts

    async def _purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        await self._db.execute("DELETE FROM rate_buckets WHERE updated_at < now() - make_interval(secs => $1)", _IDLE_S)
