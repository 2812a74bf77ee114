"""Storing every decision: negotiations, offers and deals, each with its trace id."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from negotiation.protocol import Deal
from negotiation.seller import SellerDecision

# One statement, one round trip: the session row, the offer, and the deal if one was made.
_RECORD = """
WITH n AS (
    INSERT INTO negotiations (session_token, item_id, buyer_did, strategy, status, rounds, valid_until, trace_id)
    VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), $8)
    ON CONFLICT (session_token) DO UPDATE SET status = EXCLUDED.status, rounds = EXCLUDED.rounds,
        trace_id = EXCLUDED.trace_id, updated_at = now()
    RETURNING session_token
), o AS (
    INSERT INTO offers (session_token, round, bid_amount, currency, status, price, reason_code, strategy,
                        fallback, corrections, trace_id)
    SELECT session_token, $6, $9, $10, $5, $11, $12, $4, $13, $14, $8 FROM n
)
INSERT INTO deals (deal_id, session_token, item_id, buyer_did, final_price, currency, reservation_code, trace_id)
SELECT $15, session_token, $2, $3, $11, $10, $16, $8 FROM n WHERE $15::text IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One decision to store, with the bid it answered."""

    decision: SellerDecision
    item_id: str
    buyer_did: str
    bid_amount: float
    currency: str
    trace_id: str | None

    def row(self) -> tuple:
        """The parameters of `_RECORD`."""
        d = self.decision
        return (d.session_token, self.item_id, self.buyer_did, d.strategy, d.status, d.round, d.valid_until,
                self.trace_id, self.bid_amount, self.currency, d.price, d.reason_code or None, d.fallback,
                d.corrections, d.deal_id, d.reservation_code)


class NegotiationRecords:
    """Writes decisions and reads deals back for their buyer."""

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db

    async def record_many(self, entries: list[Entry]) -> list[None | asyncpg.PostgresError]:
        """Store a batch of decisions, committed before this returns; the error per entry that could not be stored.

        The batch is one `executemany` (one round trip, one transaction). If it
        fails, each entry is written alone, so only a bad one fails.
        """
        rows = [entry.row() for entry in entries]
        try:
            await self._db.executemany(_RECORD, rows)
            return [None] * len(rows)
        except asyncpg.PostgresError:
            return [await self._write_one(row) for row in rows]

    async def _write_one(self, row: tuple) -> None | asyncpg.PostgresError:
        try:
            await self._db.execute(_RECORD, *row)
            return None
        except asyncpg.PostgresError as exc:
            return exc

    async def deal(self, deal_id: str, buyer_did: str) -> Deal | None:
        """The deal, if `buyer_did` made it; None otherwise (unknown and foreign deals look the same)."""
        row = await self._db.fetchrow(
            """SELECT deal_id, item_id, session_token, final_price, currency, reservation_code, created_at
               FROM deals WHERE deal_id = $1 AND buyer_did = $2""",
            deal_id, buyer_did,
        )
        return None if row is None else Deal(**dict(row))
