"""Idempotent requests: a resend with the same `Idempotency-Key` gets the first answer, and runs nothing again.

A caller's key is claimed before the work starts and holds the answer once it
is done. A resend of the same request (same fingerprint) while the first still
runs is told so; once done it gets the stored answer. The same key with a
different request is refused, so a key can never replay another request's
answer. Claims carry a lease: a claim whose process died is taken over by the
next resend once its lease ran out. Keys are kept for a day, like Stripe's.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

#: How long a key and its answer are kept.
RETENTION_S = 24 * 3600.0
_PURGE_EVERY_S = 60.0

_CLAIM = """
INSERT INTO idempotent_requests (scope, key, fingerprint, state, locked_until)
VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4))
ON CONFLICT (scope, key) DO UPDATE SET locked_until = EXCLUDED.locked_until
    WHERE idempotent_requests.state = 'running' AND idempotent_requests.locked_until < now()
      AND idempotent_requests.fingerprint = EXCLUDED.fingerprint
RETURNING true
"""


def fingerprint(*parts: Any) -> str:
    """A digest of a request's parts (route, canonical body...), to tell a resend from another request."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """A key whose request is done: the answer to send again."""

    status_code: int
    response: Any


@dataclass(frozen=True, slots=True)
class Refused:
    """A key that cannot be used now: another request's (`key_reused`), or its request still runs (`in_progress`)."""

    reason: Literal["key_reused", "in_progress"]


class IdempotencyStore:
    """Claims, completes and releases `Idempotency-Key`s in the `idempotent_requests` table."""

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db
        self._last_purge = 0.0

    async def claim(self, scope: str, key: str, digest: str, lease_s: float) -> Stored | Refused | None:
        """None when this request may run now (the key is claimed for it), else what to answer instead."""
        await self._purge()
        if await self._db.fetchval(_CLAIM, scope, key, digest, lease_s):
            return None
        row = await self._db.fetchrow(
            "SELECT fingerprint, state, status_code, response FROM idempotent_requests WHERE scope = $1 AND key = $2",
            scope,
            key,
        )
        if row is None:  # released by its runner between the two statements: try once more
            return await self.claim(scope, key, digest, lease_s)
        return settled(row, digest)

    async def complete(self, scope: str, key: str, status_code: int, response: Any) -> None:
        """Store the answer of a claimed request; a resend gets it from now on."""
        await self._db.execute(
            """UPDATE idempotent_requests SET state = 'done', status_code = $3, response = $4::jsonb,
                      locked_until = NULL WHERE scope = $1 AND key = $2""",
            scope,
            key,
            status_code,
            json.dumps(response),
        )

    async def release(self, scope: str, key: str) -> None:
        """Give a claim back after its request failed, so a resend runs it again."""
        await self._db.execute(
            "DELETE FROM idempotent_requests WHERE scope = $1 AND key = $2 AND state = 'running'", scope, key
        )

    async def _purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        await self._db.execute(
            "DELETE FROM idempotent_requests WHERE created_at < now() - make_interval(secs => $1)", RETENTION_S
        )


def settled(row: asyncpg.Record | dict[str, Any], digest: str) -> Stored | Refused:
    """What a stored key means for a request with fingerprint `digest`."""
    if row["fingerprint"] != digest:
        return Refused("key_reused")
    if row["state"] != "done":
        return Refused("in_progress")
    response = row["response"]
    return Stored(row["status_code"] or 200, json.loads(response) if isinstance(response, str) else response)
