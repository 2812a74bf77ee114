"""Who may spend the operator's IBM Quantum account, and how much: an allow-list and a daily quota per user.

Every circuit that may reach IBM Quantum (its backend or its fallback is
``ibm:…``) needs a user on the operator's list and counts against that
user's circuits for the current UTC day. The count lives in PostgreSQL
(`quantum_ibm_usage`), so the quota holds across replicas and restarts, and
is taken in one statement, so concurrent requests cannot overspend it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import asyncpg

from quantum.errors import QuantumError

_IBM_PREFIX = "ibm:"

# Adds the circuits to the user's count for the day, unless that would pass the quota: then no row comes back.
_SPEND = """
INSERT INTO quantum_ibm_usage AS used (user_id, day, circuits) VALUES ($1, $2, $3)
ON CONFLICT (user_id, day) DO UPDATE SET circuits = used.circuits + EXCLUDED.circuits
    WHERE used.circuits + EXCLUDED.circuits <= $4
RETURNING circuits
"""


class IbmNotAllowed(QuantumError):
    """The user is not on the operator's list of those who may use IBM Quantum."""

    default_code = "ibm_not_allowed"


class IbmQuotaExhausted(QuantumError):
    """The user has run the day's IBM circuits; the quota renews after `retry_after_s`."""

    default_code = "ibm_quota_exhausted"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail=detail, headers={"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s


def reaches_ibm(backend: str, fallback: str | None) -> bool:
    """Whether a run on `backend` (or on its `fallback`) may use IBM Quantum."""
    return backend.startswith(_IBM_PREFIX) or (fallback is not None and fallback.startswith(_IBM_PREFIX))


def check_allowed(user_id: str, allowed_users: Collection[str]) -> None:
    """Raise `IbmNotAllowed` unless the operator listed `user_id`."""
    if user_id not in allowed_users:
        raise IbmNotAllowed("ibm_not_allowed", "this user may not run circuits on IBM Quantum backends")


async def spend(db: asyncpg.Pool, user_id: str, daily_circuits: int, circuits: int = 1) -> None:
    """Count `circuits` IBM circuits against the user's quota for today (UTC); `IbmQuotaExhausted` if over it."""
    now = datetime.now(UTC)
    if circuits <= daily_circuits:
        spent = await db.fetchval(_SPEND, user_id, now.date(), circuits, daily_circuits)
        if spent is not None:
            return
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    detail = f"the quota of {daily_circuits} IBM Quantum circuits a day is spent; it renews at 00:00 UTC"
    raise IbmQuotaExhausted(detail, retry_after_s=max(1, math.ceil((tomorrow - now).total_seconds())))
