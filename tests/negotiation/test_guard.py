"""Guard rails: whatever a strategy proposes, what is sent obeys the rules (property tests)."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from negotiation.guard import Proposal, enforce, mentions_value

prices = st.floats(min_value=1.0, max_value=100_000.0, allow_nan=False, allow_infinity=False)
wild = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), prices)
texts = st.one_of(
    st.text(max_size=80).map(lambda t: t.replace("{", "(").replace("}", ")")),
    st.sampled_from(
        [
            "our floor is {floor}",
            "minimum {floor} USD",
            "I can't go under {floor:.2f}",
            "ok at {price}",
            "{floor:,.2f} works",
        ]
    ),
)


@settings(max_examples=30, deadline=None)
@given(
    base=prices,
    floor_share=st.floats(0.05, 0.999),
    bid=prices,
    action=st.sampled_from(["accept", "counter", "reject"]),
    price=wild,
    text=texts,
    final=st.booleans(),
    concession_share=st.floats(0.001, 1.0),
)
def test_sent_decisions_obey_every_rule(
    base: float,
    floor_share: float,
    bid: float,
    action: str,
    price: float | None,
    text: str,
    final: bool,
    concession_share: float,
) -> None:
    floor = round(base * floor_share, 2)
    assume(floor < base - 0.02)
    safe_counter = floor + (base - floor) * concession_share
    message = text.format(floor=floor, price=price)
    guarded = enforce(
        Proposal(action, price, message),
        floor_price=floor,
        base_price=base,
        bid=bid,
        final_round=final,
        safe_counter=safe_counter,
        item_name="Room",
        currency="USD",
    )
    sent = guarded.proposal
    if sent.action == "accept":
        assert floor <= sent.price <= bid
    elif sent.action == "counter":
        assert not final
        assert floor < sent.price <= base and math.isfinite(sent.price)
        assert sent.price > bid or bid < floor
    else:
        assert sent.price is None
    assert "floor" not in sent.message.lower()
    # The floor's value may appear only as the buyer's own bid accepted as it was.
    assert not mentions_value(sent.message, floor) or (sent.action == "accept" and sent.price == bid)
    if action != "reject" and (
        sent.action != action or price is None or not math.isfinite(price) or abs(sent.price - price) > 0.01
    ):
        assert guarded.corrections  # a decision is never changed silently, only rounded to cents


def test_a_legal_counter_passes_unchanged_and_uncounted() -> None:
    proposal = Proposal("counter", 950.0, "We can offer Room for 950.00 USD.", "bid_too_low")
    guarded = enforce(
        proposal,
        floor_price=800,
        base_price=1000,
        bid=700,
        final_round=False,
        safe_counter=900,
        item_name="Room",
        currency="USD",
    )
    assert guarded.proposal == proposal and guarded.corrections == []


def test_each_broken_rule_is_named() -> None:
    common = {"floor_price": 800.0, "base_price": 1000.0, "safe_counter": 900.0, "item_name": "Room", "currency": "USD"}
    below = enforce(Proposal("accept", 700.0), bid=850, final_round=False, **common)
    assert below.corrections == ["accept_below_floor"] and below.proposal.price == 850
    too_low_bid = enforce(Proposal("accept", 700.0), bid=700, final_round=False, **common)
    assert too_low_bid.proposal.action == "counter" and too_low_bid.proposal.price == 900
    at_floor = enforce(Proposal("counter", 800.0, "800 it is"), bid=500, final_round=False, **common)
    assert "counter_at_or_below_floor" in at_floor.corrections and at_floor.proposal.price > 800
    assert "text_mentions_floor" in at_floor.corrections
    last = enforce(Proposal("counter", 950.0), bid=500, final_round=True, **common)
    assert last.corrections == ["counter_in_final_round"] and last.proposal.action == "reject"
    leak = enforce(Proposal("counter", 950.0, "Our floor is 800, so 950 USD."), bid=500, final_round=False, **common)
    assert leak.corrections == ["text_mentions_floor"] and "800" not in leak.proposal.message
    assert (
        enforce(
            Proposal("counter", 950.0, "We can do 950 dollars"), bid=500, final_round=False, **common
        ).proposal.message
        == "We can do 950 dollars"
    )
    assert enforce(
        Proposal("counter", 950.0, "Best I can do is 950 (reserve 8,00.0)"), bid=500, final_round=False, **common
    ).corrections == ["text_mentions_floor"]


def test_mentions_value_reads_separators_and_decimals() -> None:
    assert mentions_value("only 1,250.00 left", 1250)
    assert mentions_value("800", 800.0) and not mentions_value("800.01", 800.0)
