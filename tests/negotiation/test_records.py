"""Storing decisions: a batch is one transaction, and one bad entry fails only itself."""

from __future__ import annotations

import time
import uuid

import asyncpg

from negotiation.catalog import Catalog
from negotiation.records import Entry, NegotiationRecords
from negotiation.seller import SellerDecision


def accepted(deal_id: str) -> SellerDecision:
    """An accepted decision of a fresh session, making deal `deal_id`."""
    return SellerDecision(status="accepted", session_token=uuid.uuid4().hex, valid_until=time.time() + 60, round=1,
                          price=450.0, deal_id=deal_id, reservation_code="AUR-" + uuid.uuid4().hex[:8].upper(),
                          strategy="rule")


def entry(decision: SellerDecision) -> Entry:
    """`decision` on the rule test room, by one buyer."""
    return Entry(decision, item_id="t_rule", buyer_did="did:key:records", bid_amount=450.0, currency="USD",
                 trace_id=None)


async def test_a_batch_is_stored_and_a_duplicate_deal_fails_alone(db: asyncpg.Pool, catalog: Catalog) -> None:
    records = NegotiationRecords(db)
    taken = uuid.uuid4().hex
    assert await records.record_many([entry(accepted(taken))]) == [None]
    decisions = [accepted(uuid.uuid4().hex) for _ in range(6)]
    decisions.insert(3, accepted(taken))  # the same deal id again: the primary key refuses it
    outcomes = await records.record_many([entry(d) for d in decisions])
    assert isinstance(outcomes[3], asyncpg.UniqueViolationError)
    assert [o for i, o in enumerate(outcomes) if i != 3] == [None] * 6
    stored = await db.fetchval("SELECT count(*) FROM deals WHERE deal_id = ANY($1::text[])",
                               [d.deal_id for d in decisions])
    assert stored == 7  # six new deals and the one taken before
