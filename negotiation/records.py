"""Storing every decision: negotiations, offers and deals, each with its trace id."""

from __future__ import annotations

import asyncpg

from aura.coalesce import Coalescer
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


class NegotiationRecords:
    """Writes decisions and reads deals back for their buyer.

    Decisions stored while a write is in flight are written together by the
    next one (`executemany`: one round trip, one transaction); each caller
    returns only once its own decision is committed.
    """

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db
        self._writes: Coalescer[tuple, None] = Coalescer(self._write_many)

    async def _write_many(self, rows: list[tuple]) -> list[None | BaseException]:
        try:
            await self._db.executemany(_RECORD, rows)
            return [None] * len(rows)
        except asyncpg.PostgresError:
            # The batch is one transaction: write each row alone so only a bad row fails.
            return [await self._write_one(row) for row in rows]

    async def _write_one(self, row: tuple) -> None | BaseException:
        try:
            await self._db.execute(_RECORD, *row)
            return None
        except asyncpg.PostgresError as exc:
            return exc

    async def record(self, decision: SellerDecision, *, item_id: str, buyer_did: str, bid_amount: float,
                     currency: str, trace_id: str | None) -> None:
        """Store one decision (and its deal, if it made one); returns once it is committed."""
        await self._writes.submit((
            decision.session_token, item_id, buyer_did, decision.strategy, decision.status,
            decision.round, decision.valid_until, trace_id, bid_amount, currency, decision.price,
            decision.reason_code or None, decision.fallback, decision.corrections, decision.deal_id,
            decision.reservation_code,
        ))

    async def deal(self, deal_id: str, buyer_did: str) -> Deal | None:
        """The deal, if `buyer_did` made it; None otherwise (unknown and foreign deals look the same)."""
        row = await self._db.fetchrow(
            """SELECT deal_id, item_id, session_token, final_price, currency, reservation_code, created_at
               FROM deals WHERE deal_id = $1 AND buyer_did = $2""",
            deal_id, buyer_did,
        )
        return None if row is None else Deal(**dict(row))
