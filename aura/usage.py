"""The usage ledger: every billable event once, with its price, keyed by an idempotency key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

import asyncpg
from pydantic import BaseModel

from aura.metrics import counter
from aura.settings import PriceTable, get_settings
from aura.settings.billing import EventType

EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


def ledger_key(user_id: str, request_key: str, part: str) -> str:
    """The ledger's idempotency key for one billable part of one request of one user.

    A digest, so keys of different users never collide whatever they send, and
    every key fits Stripe's 100-character meter event identifier.
    """
    digest = hashlib.blake2b(f"{user_id}\0{request_key}\0{part}".encode(), digest_size=24).hexdigest()
    return f"aura_{digest}"


RECORDED = counter("aura_usage_events_total", "Billable usage events written to the ledger.")


@dataclass(frozen=True)
class UsageEvent:
    """One billable event to record."""

    user_id: str
    event_type: EventType
    idempotency_key: str
    quantity: int = 1
    session_id: str | None = None


class UsageLine(BaseModel):
    """The total of one event type in a period."""

    event_type: EventType
    events: int
    quantity: int
    amount: Decimal


class UsageSummary(BaseModel):
    """A user's usage in a period, by event type, with the total in USD."""

    user_id: str
    start_date: datetime | None
    end_date: datetime | None
    currency: Literal["usd"] = "usd"
    lines: list[UsageLine]
    total_amount: Decimal


class UsageLedger:
    """Writes and sums the `usage_events` table."""

    def __init__(self, db: asyncpg.Pool, prices: PriceTable | None = None) -> None:
        self._db = db
        self.prices = prices or get_settings().prices

    async def record(self, events: list[UsageEvent]) -> int:
        """Write `events` at today's prices; an idempotency key already present is skipped. Returns rows written."""
        if not events:
            return 0
        for event in events:
            if event.event_type not in EVENT_TYPES:
                raise ValueError(f"unknown billable event type {event.event_type!r}")
            if event.quantity < 1:
                raise ValueError("quantity must be at least 1")
        prices = [self.prices.price(e.event_type) for e in events]
        written = await self._db.fetchval(
            """WITH rows AS (
                   INSERT INTO usage_events
                       (idempotency_key, user_id, event_type, quantity, unit_price, amount, session_id)
                   SELECT k, u, t, q, p, p * q, s
                   FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::numeric[], $6::text[])
                       AS x(k, u, t, q, p, s)
                   ON CONFLICT (idempotency_key) DO NOTHING
                   RETURNING 1)
               SELECT count(*) FROM rows""",
            [e.idempotency_key for e in events],
            [e.user_id for e in events],
            [e.event_type for e in events],
            [e.quantity for e in events],
            prices,
            [e.session_id for e in events],
        )
        RECORDED.inc(int(written))
        return int(written)

    async def summary(self, user_id: str, start: datetime | None = None, end: datetime | None = None) -> UsageSummary:
        """What `user_id` used in [start, end), by event type."""
        rows = await self._db.fetch(
            """SELECT event_type, count(*) AS events, sum(quantity) AS quantity, sum(amount) AS amount
               FROM usage_events
               WHERE user_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)
                     AND ($3::timestamptz IS NULL OR created_at < $3)
               GROUP BY event_type ORDER BY event_type""",
            user_id,
            start,
            end,
        )
        lines = [
            UsageLine(event_type=r["event_type"], events=r["events"], quantity=r["quantity"], amount=r["amount"])
            for r in rows
        ]
        total = sum((line.amount for line in lines), Decimal("0"))
        return UsageSummary(user_id=user_id, start_date=start, end_date=end, lines=lines, total_amount=total)
