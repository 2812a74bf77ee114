"""Single negotiations through the vectorised rounds, with outcomes worked out by hand."""

import numpy as np

from negotiation.simulate.rounds import Negotiations, run
from negotiation.strategies import Strategy


def negotiations(rows: list[dict]) -> Negotiations:
    """Negotiations from per-row dicts (buyer 100/50 and seller 60/120, linear, unless given)."""
    defaults = {
        "buyer_strategy": Strategy.LINEAR,
        "buyer_reservation_price": 100.0,
        "buyer_aspiration_price": 50.0,
        "buyer_exponent": 1.0,
        "seller_strategy": Strategy.LINEAR,
        "seller_floor_price": 60.0,
        "seller_base_price": 120.0,
        "seller_exponent": 1.0,
    }
    filled = [{**defaults, **row} for row in rows]
    return Negotiations(
        **{
            name: np.array([row[name] for row in filled], dtype=np.int8 if name.endswith("strategy") else np.float32)
            for name in defaults
        }
    )


def test_two_linear_parties_meet_where_the_hand_computation_says():
    # Deadline 11 rounds, so t = r/10. Buyer bids b(r) = 50 + 50·t, seller asks a(r) = 120 − 60·t.
    #   r:  0    1    2    3    4    5    6    7
    #   b: 50   55   60   65   70   75   80   85
    #   a: 120 114  108  102   96   90   84   78
    # In round r the buyer first compares the seller's last ask a(r−1) with its own next bid b(r):
    # r = 6: a(5) = 90 > b(6) = 80, bid; seller: b(6) = 80 < a(6) = 84, ask 84.
    # r = 7: a(6) = 84 ≤ b(7) = 85, so the buyer accepts 84 in round 7 (the 8th round).
    result = run(negotiations([{}]), deadline=11)
    assert result.agreed.tolist() == [True]
    assert result.round.tolist() == [7]
    np.testing.assert_allclose(result.price, [84.0], rtol=1e-5)


def test_rule_seller_takes_the_first_bid_at_its_floor():
    # The linear buyer bids 50, 55, 60 (t = 0, 0.1, 0.2); the rule seller accepts any bid ≥ 60.
    result = run(negotiations([{"seller_strategy": Strategy.RULE}]), deadline=11)
    assert (result.agreed[0], result.round[0], result.price[0]) == (True, 2, 60.0)


def test_no_zone_of_agreement_means_no_deal_at_the_deadline():
    result = run(negotiations([{"buyer_reservation_price": 59.0}]), deadline=11)
    assert result.agreed.tolist() == [False]
    assert result.round.tolist() == [-1]
    assert np.isnan(result.price[0])


def test_two_tit_for_tat_parties_never_move():
    tft = {"buyer_strategy": Strategy.TIT_FOR_TAT, "seller_strategy": Strategy.TIT_FOR_TAT}
    assert run(negotiations([tft]), deadline=50).agreed.tolist() == [False]


def test_rows_are_independent_of_their_neighbours():
    rows = [{}, {"buyer_reservation_price": 59.0}, {"seller_strategy": Strategy.RULE}, {"seller_exponent": 0.25}]
    together = run(negotiations(rows), deadline=11)
    for i, row in enumerate(rows):
        alone = run(negotiations([row]), deadline=11)
        assert alone.agreed[0] == together.agreed[i]
        assert alone.round[0] == together.round[i]
        np.testing.assert_array_equal(alone.price, together.price[i : i + 1])


def test_deadline_of_one_round_is_a_single_take_it_or_leave_it():
    # With one round t = 1: the buyer bids its reservation 100, the seller asks its floor 60 and takes 100.
    result = run(negotiations([{}]), deadline=1)
    assert (result.agreed[0], result.round[0], result.price[0]) == (True, 0, 100.0)
