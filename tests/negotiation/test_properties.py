"""Property tests through the whole API: random items, bids and strategies keep the guard rules and the floor hidden."""

from __future__ import annotations

import json
import re
import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation.catalog import Catalog, CatalogItem
from negotiation.client import NegotiationClient

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
#: Random identifiers and timestamps: digits in them are not prices.
_OPAQUE = {"session_token", "valid_until", "reservation_code", "deal_id"}


def _numbers(value: object, key: str = "") -> list[float]:
    """Every price-like number in a decoded response: JSON numbers and numbers written in its texts."""
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _numbers(v, k)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v, key)]
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, str) and key not in _OPAQUE:
        return [float(t.replace(",", "")) for t in _NUMBER.findall(value)]
    return []


@st.composite
def negotiations(draw: st.DrawFn) -> tuple[CatalogItem, list[float], bool]:
    base = draw(st.floats(min_value=5.0, max_value=5000.0)).__round__(2)
    floor = round(base * draw(st.floats(min_value=0.3, max_value=0.97)), 2)
    strategy = draw(st.sampled_from(["rule", "concession"]))
    style = draw(st.sampled_from(["boulware", "linear", "conceder"]))
    item = CatalogItem(
        id="p_" + uuid.uuid4().hex[:12],
        name="Property Room",
        base_price=base,
        floor_price=floor,
        strategy=strategy,
        concession=style,
        confirm_threshold=base * 10,
    )
    bids = draw(
        st.lists(
            st.floats(min_value=0.01, max_value=base * 1.2).map(lambda b: round(b, 2)).filter(lambda b: b > 0),
            min_size=1,
            max_size=5,
        )
    )
    return item, bids, draw(st.booleans())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=negotiations())
async def test_guard_rules_hold_and_the_floor_never_appears(
    transport: httpx.ASGITransport, catalog: Catalog, case: tuple[CatalogItem, list[float], bool]
) -> None:
    item, bids, rising = case
    if rising:
        bids = sorted(bids)
    await catalog.load([item])
    async with NegotiationClient("http://test", transport=transport) as agent:
        token = None
        for bid in bids:
            payload = {"item_id": item.id, "bid_amount": bid, **({"session_token": token} if token else {})}
            answer = await agent.send("POST", "/v1/negotiate", payload)
            body = answer.text
            if answer.status_code == 404:  # the previous bid closed the session
                assert answer.json()["code"] == "session_not_found"
                break
            assert answer.status_code == 200, body
            decided = answer.json()
            token = decided["session_token"]
            assert "floor" not in body.lower()
            leaked = [n for n in _numbers(decided) if abs(n - item.floor_price) < 0.005]
            if decided["status"] == "accepted":
                price = decided["data"]["final_price"]
                assert item.floor_price <= price <= bid
                # The only way the floor's value can appear is as the buyer's own bid echoed back as the price.
                assert not leaked or (price == bid and abs(bid - item.floor_price) < 0.005)
                break
            assert not leaked, json.dumps(decided)
            if decided["status"] == "countered":
                assert item.floor_price < decided["data"]["proposed_price"] <= item.base_price
                assert decided["data"]["proposed_price"] > bid
            if decided["status"] == "rejected":
                break
