"""Storing decisions: concurrent writes share a transaction, and one bad row fails only its own caller."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from negotiation.catalog import Catalog
from negotiation.records import NegotiationRecords
from negotiation.seller import SellerDecision


def accepted(deal_id: str) -> SellerDecision:
    """An accepted decision of a fresh session, making deal `deal_id`."""
    return SellerDecision(status="accepted", session_token=uuid.uuid4().hex, valid_until=time.time() + 60, round=1,
                          price=450.0, deal_id=deal_id, reservation_code="AUR-" + uuid.uuid4().hex[:8].upper(),
                          strategy="rule")


async def test_concurrent_decisions_are_all_stored_and_a_duplicate_deal_fails_alone(
        db: asyncpg.Pool, catalog: Catalog) -> None:
    records = NegotiationRecords(db)
    taken = uuid.uuid4().hex
    await records.record(accepted(taken), item_id="t_rule", buyer_did="did:key:records", bid_amount=450.0,
                         currency="USD", trace_id=None)
    decisions = [accepted(uuid.uuid4().hex) for _ in range(6)]
    decisions.insert(3, accepted(taken))  # the same deal id again: the primary key refuses it
    outcomes = await asyncio.gather(*(
        records.record(d, item_id="t_rule", buyer_did="did:key:records", bid_amount=450.0, currency="USD",
                       trace_id=None)
        for d in decisions
    ), return_exceptions=True)
    assert isinstance(outcomes[3], asyncpg.UniqueViolationError)
    assert [o for i, o in enumerate(outcomes) if i != 3] == [None] * 6
    stored = await db.fetchval("SELECT count(*) FROM deals WHERE deal_id = ANY($1::text[])",
                               [d.deal_id for d in decisions])
    assert stored == 7  # six new deals and the one taken before
