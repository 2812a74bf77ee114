"""Storing decisions: one transaction a batch, each round and one deal a session, one bad entry failing alone."""

from __future__ import annotations

import json
import time
import uuid

import asyncpg

from negotiation.catalog import Catalog
from negotiation.records import Entry, NegotiationRecords
from negotiation.seller import SellerDecision


def decision(
    status: str = "accepted", *, token: str | None = None, round_: int = 1, deal_id: str | None = None
) -> SellerDecision:
    """A decision on the rule test room; an accepted one makes a deal (`deal_id`, or a new one)."""
    deal = (deal_id or uuid.uuid4().hex) if status == "accepted" else None
    return SellerDecision(
        status=status,
        session_token=token or uuid.uuid4().hex,
        valid_until=time.time() + 60,
        round=round_,
        price=450.0 if status != "rejected" else None,
        deal_id=deal,
        reservation_code="AUR-" + uuid.uuid4().hex[:8].upper() if deal else None,
        strategy="rule",
    )


def entry(decided: SellerDecision, **key: str) -> Entry:
    """`decided` on the rule test room, by one buyer."""
    return Entry(
        decided, item_id="t_rule", buyer_did="did:key:records", bid_amount=450.0, currency="USD", trace_id=None, **key
    )


async def test_a_batch_is_stored_and_a_duplicate_deal_id_fails_alone(db: asyncpg.Pool, catalog: Catalog) -> None:
    records = NegotiationRecords(db)
    taken = uuid.uuid4().hex
    assert await records.record_many([entry(decision(deal_id=taken))]) == [True]
    decisions = [decision() for _ in range(6)]
    decisions.insert(3, decision(deal_id=taken))  # the same deal id again: the primary key refuses it
    outcomes = await records.record_many([entry(d) for d in decisions])
    assert isinstance(outcomes[3], asyncpg.UniqueViolationError)
    assert [o for i, o in enumerate(outcomes) if i != 3] == [True] * 6
    stored = await db.fetchval(
        "SELECT count(*) FROM deals WHERE deal_id = ANY($1::text[])", [d.deal_id for d in decisions]
    )
    assert stored == 7  # six new deals and the one taken before


async def test_a_session_takes_each_round_once_and_nothing_after_its_deal(db: asyncpg.Pool, catalog: Catalog) -> None:
    records, token = NegotiationRecords(db), uuid.uuid4().hex
    assert await records.record_many([entry(decision("countered", token=token, round_=1))]) == [True]
    # A seller whose memory lagged decides round 1 again: the rows have it, so it is not stored.
    assert await records.record_many([entry(decision("countered", token=token, round_=1))]) == [False]
    assert await records.record_many([entry(decision("accepted", token=token, round_=2))]) == [True]
    # After the deal nothing more is stored for the session, a second acceptance least of all.
    again = [entry(decision("accepted", token=token, round_=3)), entry(decision("countered", token=token, round_=4))]
    assert await records.record_many(again) == [False, False]
    assert await db.fetchval("SELECT count(*) FROM deals WHERE session_token = $1", token) == 1
    rounds = await db.fetch("SELECT round, status FROM offers WHERE session_token = $1 ORDER BY id", token)
    assert [(r["round"], r["status"]) for r in rounds] == [(1, "countered"), (2, "accepted")]


async def test_open_sessions_read_back_as_a_seller_holds_them(db: asyncpg.Pool, catalog: Catalog) -> None:
    records, token, ended = NegotiationRecords(db), uuid.uuid4().hex, uuid.uuid4().hex
    await records.record_many(
        [
            entry(decision("countered", token=token, round_=1)),
            entry(decision("countered", token=token, round_=2)),
            entry(decision("rejected", token=ended, round_=1)),
        ]
    )
    found = await records.open_sessions("t_rule", [token, ended, "ses_unknown"])
    assert set(found) == {token, ended} and found[ended] is None
    assert found[token]["rounds"] == 2 and found[token]["buyer"] == "did:key:records"
    assert found[token]["bids"] == [450.0, 450.0] and found[token]["counters"] == [450.0, 450.0]
    assert await records.open_sessions("t_linear", [token]) == {}  # another item's session is not this seller's


async def test_a_keyed_decision_stores_its_answer_and_the_key_takes_one_decision(
    db: asyncpg.Pool, catalog: Catalog
) -> None:
    records, key = NegotiationRecords(db), uuid.uuid4().hex
    first = decision()
    keyed = {"scope": "negotiate:did:key:records", "key": key, "fingerprint": "f1"}
    assert await records.record_many([entry(first, **keyed)]) == [True]
    # A second decision under the same key (a concurrent resend) is not stored: the key holds the first.
    assert await records.record_many([entry(decision(), **keyed)]) == [False]
    stored = await records.stored_answers([("negotiate:did:key:records", key)])
    answer = stored["negotiate:did:key:records", key]
    assert answer["fingerprint"] == "f1" and json.loads(answer["response"])["deal_id"] == first.deal_id
    assert (
        await db.fetchval(
            "SELECT count(*) FROM deals WHERE buyer_did = 'did:key:records' AND deal_id = $1", first.deal_id
        )
        == 1
    )
