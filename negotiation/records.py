"""Storing every decision: negotiations, offers and deals, each with its trace id, and reading them back.

The stored negotiation is the truth a seller's memory follows. A decision is
stored only while it moves its session on from what is stored: a session that
ended (a deal, a rejection) takes no further decision, and a round is stored
once. A decision that fails that test is *stale*: the seller's memory lagged
the rows (a restarted host restores a snapshot up to a second old), and the
desk brings the seller up to date from `open_sessions` before deciding again.
So one session never gets two deals, whatever restarts and resends happen.

A bid sent with an `Idempotency-Key` stores its answer with its decision, in
the same statement: the answer exists exactly when the decision does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg

from negotiation.protocol import Deal
from negotiation.seller import SellerDecision

# One statement for a whole batch, so a batch is one round trip and one transaction.
_RECORD = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::float8[],
                         $8::text[], $9::float8[], $10::text[], $11::float8[], $12::text[], $13::text[],
                         $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])
        WITH ORDINALITY AS t(session_token, item_id, buyer_did, strategy, status, rounds, valid_until, trace_id,
                             bid_amount, currency, price, reason_code, fallback, corrections, deal_id,
                             reservation_code, scope, key, fingerprint, answer, i)
), prior AS (
    SELECT n.session_token, n.status, n.rounds FROM negotiations n
    WHERE n.session_token IN (SELECT session_token FROM input) ORDER BY n.session_token FOR UPDATE
), fresh AS (
    SELECT input.* FROM input LEFT JOIN prior USING (session_token)
    WHERE prior.session_token IS NULL
       OR (prior.status NOT IN ('accepted', 'rejected')
           AND (prior.rounds < input.rounds OR (input.status = 'ui_required' AND prior.rounds <= input.rounds)))
), keyed AS (
    INSERT INTO idempotent_requests (scope, key, fingerprint, state, status_code, response)
    SELECT scope, key, fingerprint, 'done', 200, answer::jsonb FROM fresh WHERE key IS NOT NULL
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING scope, key
), kept AS (
    SELECT fresh.* FROM fresh WHERE fresh.key IS NULL
    UNION ALL
    SELECT fresh.* FROM fresh JOIN keyed USING (scope, key)
), n AS (
    INSERT INTO negotiations (session_token, item_id, buyer_did, strategy, status, rounds, valid_until, trace_id)
    SELECT DISTINCT ON (session_token) session_token, item_id, buyer_did, strategy, status, rounds,
           to_timestamp(valid_until), trace_id
    FROM kept ORDER BY session_token, i DESC
    ON CONFLICT (session_token) DO UPDATE SET status = EXCLUDED.status, rounds = EXCLUDED.rounds,
        trace_id = EXCLUDED.trace_id, updated_at = now()
), o AS (
    INSERT INTO offers (session_token, round, bid_amount, currency, status, price, reason_code, strategy,
                        fallback, corrections, trace_id)
    SELECT session_token, rounds, bid_amount, currency, status, price, reason_code, strategy, fallback,
           coalesce(string_to_array(nullif(corrections, ''), ','), '{}'), trace_id
    FROM kept ORDER BY i
), d AS (
    INSERT INTO deals (deal_id, session_token, item_id, buyer_did, final_price, currency, reservation_code, trace_id)
    SELECT deal_id, session_token, item_id, buyer_did, price, currency, reservation_code, trace_id
    FROM kept WHERE deal_id IS NOT NULL
)
SELECT i FROM kept
"""

_OPEN_SESSIONS = """
SELECT n.session_token, n.buyer_did, n.status, n.rounds, extract(epoch FROM n.valid_until)::float8 AS valid_until,
       coalesce(array_agg(o.bid_amount ORDER BY o.id) FILTER (WHERE o.status <> 'ui_required'), '{}') AS bids,
       coalesce(array_agg(o.price ORDER BY o.id) FILTER (WHERE o.status = 'countered'), '{}') AS counters
FROM negotiations n LEFT JOIN offers o USING (session_token)
WHERE n.session_token = ANY($1::text[]) AND n.item_id = $2
GROUP BY n.session_token
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One decision to store, with the bid it answered and, for a bid with an `Idempotency-Key`, its key."""

    decision: SellerDecision
    item_id: str
    buyer_did: str
    bid_amount: float
    currency: str
    trace_id: str | None
    scope: str | None = None
    key: str | None = None
    fingerprint: str | None = None


def decision_json(decision: SellerDecision) -> str:
    """A decision as the JSON an idempotent resend gets back."""
    return json.dumps(asdict(decision))


def decision_from(stored: dict[str, Any]) -> SellerDecision:
    """The decision a stored answer holds."""
    return SellerDecision(**stored)


def _columns(entries: list[Entry]) -> list[list[Any]]:
    """The statement's arrays, one per column of `input`."""
    d = [e.decision for e in entries]
    return [
        [x.session_token for x in d],
        [e.item_id for e in entries],
        [e.buyer_did for e in entries],
        [x.strategy for x in d],
        [x.status for x in d],
        [x.round for x in d],
        [x.valid_until for x in d],
        [e.trace_id for e in entries],
        [e.bid_amount for e in entries],
        [e.currency for e in entries],
        [x.price for x in d],
        [x.reason_code or None for x in d],
        [x.fallback for x in d],
        [",".join(x.corrections) for x in d],
        [x.deal_id for x in d],
        [x.reservation_code for x in d],
        [e.scope for e in entries],
        [e.key for e in entries],
        [e.fingerprint for e in entries],
        [decision_json(x) if e.key is not None else None for e, x in zip(entries, d, strict=True)],
    ]


class NegotiationRecords:
    """Writes decisions and reads back sessions, stored answers and deals."""

    def __init__(self, db: asyncpg.Pool) -> None:
        self._db = db

    async def record_many(self, entries: list[Entry]) -> list[bool | asyncpg.PostgresError]:
        """Store a batch of decisions, committed before this returns.

        Per entry: True when stored, False when not (stale, or its key's answer
        was stored by another request first), or the error that kept it out.
        If the batch fails, each entry is written alone, so only a bad one fails.
        """
        if not entries:
            return []
        try:
            stored = {row["i"] for row in await self._db.fetch(_RECORD, *_columns(entries))}
            return [i in stored for i in range(1, len(entries) + 1)]
        except asyncpg.PostgresError:
            return [await self._write_one(entry) for entry in entries]

    async def _write_one(self, entry: Entry) -> bool | asyncpg.PostgresError:
        try:
            return bool(await self._db.fetch(_RECORD, *_columns([entry])))
        except asyncpg.PostgresError as exc:
            return exc

    async def open_sessions(self, item_id: str, tokens: list[str]) -> dict[str, dict[str, Any] | None]:
        """How each of `tokens` stands in the rows: the session a seller holds while it is open, None once it ended.

        A token with no rows is left out.
        """
        rows = await self._db.fetch(_OPEN_SESSIONS, tokens, item_id)
        found: dict[str, dict[str, Any] | None] = {}
        for row in rows:
            if row["status"] in ("accepted", "rejected"):
                found[row["session_token"]] = None
                continue
            found[row["session_token"]] = {
                "buyer": row["buyer_did"],
                "valid_until": row["valid_until"],
                "rounds": row["rounds"],
                "bids": list(row["bids"]),
                "counters": list(row["counters"]),
            }
        return found

    async def stored_answers(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], asyncpg.Record]:
        """The stored `idempotent_requests` rows of (scope, key) pairs that have one."""
        rows = await self._db.fetch(
            """SELECT r.scope, r.key, r.fingerprint, r.state, r.status_code, r.response
               FROM idempotent_requests r JOIN unnest($1::text[], $2::text[]) AS k(scope, key) USING (scope, key)""",
            [scope for scope, _ in keys],
            [key for _, key in keys],
        )
        return {(row["scope"], row["key"]): row for row in rows}

    async def deal(self, deal_id: str, buyer_did: str) -> Deal | None:
        """The deal, if `buyer_did` made it; None otherwise (unknown and foreign deals look the same)."""
        row = await self._db.fetchrow(
            """SELECT deal_id, item_id, session_token, final_price, currency, reservation_code, created_at
               FROM deals WHERE deal_id = $1 AND buyer_did = $2""",
            deal_id,
            buyer_did,
        )
        return None if row is None else Deal(**dict(row))

    async def deals(self, buyer_did: str, limit: int, before: datetime | None) -> list[Deal]:
        """`buyer_did`'s deals, newest first, up to `limit` made before `before`."""
        rows = await self._db.fetch(
            """SELECT deal_id, item_id, session_token, final_price, currency, reservation_code, created_at
               FROM deals WHERE buyer_did = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
               ORDER BY created_at DESC, deal_id LIMIT $3""",
            buyer_did,
            before,
            limit,
        )
        return [Deal(**dict(row)) for row in rows]
