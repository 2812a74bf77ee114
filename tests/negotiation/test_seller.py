"""The seller logical actor in process: sessions, its W2 loop on the concession exponent, and floor-free traces."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from negotiation.catalog import ItemTerms
from negotiation.guard import mentions_value
from negotiation.seller import Bid, Seller, session_token

#: The session's settings: the sellers' curve secret lives in its data directory, never in ~/.aura.
pytestmark = pytest.mark.usefixtures("settings")

TERMS = ItemTerms(
    item_id="s1",
    name="Suite",
    description="",
    base_price=1000.0,
    floor_price=800.0,
    currency="USD",
    strategy="concession",
    concession="conceder",
    confirm_threshold=5000.0,
)


async def _negotiate(seller: Seller, bids: list[float], terms: ItemTerms = TERMS) -> str:
    token = session_token()
    for number, amount in enumerate(bids):
        decision = await seller.receive(
            Bid(token, number == 0, "did:key:zbuyer", terms, amount, False, time.time(), 600.0, len(bids), 0.5)
        )
        if decision.status != "countered":
            return decision.status
    return "countered"


async def test_w2_trends_down_in_a_stationary_market() -> None:
    """Buyers raise their bid 25 a round from 700; conceding less (a lower exponent) earns more, nearer the target."""
    seller = Seller("s1")
    bids = [700.0 + 25 * r for r in range(8)]
    for _ in range(120):
        await _negotiate(seller, bids)
    history = seller.loop.history
    assert len(history) == 12
    assert np.mean(history[-3:]) < np.mean(history[:3])
    assert 4.0 > seller.exponent() >= 1.0  # moved down from the Conceder default, within the Conceder bounds


async def test_descriptions_and_snapshots_never_hold_the_floor() -> None:
    seller = Seller("s1")
    for bids in ([700.0, 750.0, 790.0], [900.0], [850.0, 805.0, 790.0]):
        await _negotiate(seller, bids)
    described = json.dumps(seller.describe(Bid("t", True, "d", TERMS, 1.0, False, 0.0, 1.0, 1, 0.5)))
    assert not mentions_value(described, 800.0) and "floor" not in described
    snapshot = json.dumps(seller.snapshot())
    assert "floor" not in snapshot and not mentions_value(snapshot.replace(",", " "), 800.0)


async def test_a_restored_seller_continues_its_sessions() -> None:
    seller = Seller("s1")
    token = session_token()
    first = await seller.receive(Bid(token, True, "did:key:zbuyer", TERMS, 700.0, False, time.time(), 600.0, 4, 0.5))
    assert first.status == "countered"
    restored = Seller.restore("s1", json.loads(json.dumps(seller.snapshot())))
    second = await restored.receive(
        Bid(token, False, "did:key:zbuyer", TERMS, 700.0, False, time.time(), 600.0, 4, 0.5)
    )
    assert second.status == "countered" and second.round == 2 and second.price < first.price
    stranger = await restored.receive(
        Bid(token, False, "did:key:zother", TERMS, 990.0, False, time.time(), 600.0, 4, 0.5)
    )
    assert stranger.status == "session_not_found"
