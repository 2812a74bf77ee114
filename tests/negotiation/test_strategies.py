"""The strategy maths on values worked out by hand."""

import numpy as np
import pytest

from negotiation.strategies import (
    RuleAction,
    Side,
    Strategy,
    acceptance_threshold,
    accepts,
    concession_offer,
    exponent_from_theta,
    exponent_loop,
    next_offer,
    rule_decision,
    tit_for_tat_offer,
)

NAN = np.nan


def test_seller_curve_matches_issue_formula():
    # hotel_alpha: floor 800, base 1000. target(t) = 800 + 200·(1 − t^(1/e)).
    t = np.array([0.0, 0.5, 0.5, 0.5, 1.0])
    e = np.array([1.0, 1.0, 0.25, 4.0, 4.0])
    offer = concession_offer(t, 800.0, 1000.0, e)
    # linear: 800 + 200·0.5 = 900; boulware: 800 + 200·(1 − 0.5⁴) = 987.5;
    # conceder: 800 + 200·(1 − 0.5^¼) = 800 + 200·0.159104 = 831.82.
    np.testing.assert_allclose(offer, [1000.0, 900.0, 987.5, 831.8207, 800.0], rtol=1e-6)


def test_buyer_curve_rises_from_opening_bid_to_reservation():
    # Buyer opens at 40, pays at most 100: 100 + (40 − 100)·(1 − t) for e = 1.
    offer = concession_offer(np.array([0.0, 0.25, 1.0]), 100.0, 40.0, 1.0)
    np.testing.assert_allclose(offer, [40.0, 55.0, 100.0])


def test_float32_in_float32_out():
    offer = concession_offer(np.float32(0.3), np.float32([60]), np.float32([120]), np.float32([2.0]))
    assert offer.dtype == np.float32


def test_tit_for_tat_mirrors_the_opponents_last_concession():
    # Seller asked 120; the buyer moved its bid from 50 to 58 (+8), so the seller asks 112.
    # Buyer bid 50; the seller moved 120 → 114 (−6 toward the buyer), so the buyer bids 56.
    offer = tit_for_tat_offer(
        my_last=np.array([120.0, 50.0]),
        opponent_last=np.array([58.0, 114.0]),
        opponent_before=np.array([50.0, 120.0]),
        reservation_price=np.array([60.0, 100.0]),
        aspiration_price=np.array([120.0, 40.0]),
    )
    np.testing.assert_allclose(offer, [112.0, 56.0])


def test_tit_for_tat_opens_at_aspiration_waits_for_a_move_and_stays_in_range():
    offer = tit_for_tat_offer(
        my_last=np.array([NAN, 70.0, 65.0]),
        opponent_last=np.array([NAN, 50.0, 100.0]),
        opponent_before=np.array([NAN, NAN, 40.0]),
        reservation_price=np.array([60.0, 60.0, 60.0]),
        aspiration_price=np.array([120.0, 120.0, 120.0]),
    )
    # Opens at 120; one opponent offer is no concession yet; a 60 concession from 65 stops at the floor 60.
    np.testing.assert_allclose(offer, [120.0, 70.0, 60.0])


def test_acceptance_is_at_least_as_good_as_my_next_offer():
    seller = accepts(np.array([90.0, 89.9, NAN]), 90.0, Side.SELLER)
    buyer = accepts(np.array([90.0, 90.1, NAN]), 90.0, Side.BUYER)
    assert seller.tolist() == [True, False, False]
    assert buyer.tolist() == [True, False, False]
    mixed = accepts(np.array([95.0, 95.0]), np.array([90.0, 90.0]), np.array([Side.SELLER, Side.BUYER]))
    assert mixed.tolist() == [True, False]


def test_next_offer_dispatches_per_row_and_rule_accepts_at_reservation():
    strategy = np.array([Strategy.LINEAR, Strategy.TIT_FOR_TAT, Strategy.RULE], dtype=np.int8)
    offer = next_offer(
        strategy,
        0.5,
        reservation_price=np.full(3, 60.0),
        aspiration_price=np.full(3, 120.0),
        exponent=np.ones(3),
        my_last=np.full(3, 110.0),
        opponent_last=np.full(3, 55.0),
        opponent_before=np.full(3, 50.0),
    )
    # linear at t = 0.5: 90; tit-for-tat: 110 − 5 = 105; rule counters at its base price 120.
    np.testing.assert_allclose(offer, [90.0, 105.0, 120.0])
    threshold = acceptance_threshold(strategy, offer, np.full(3, 60.0))
    np.testing.assert_allclose(threshold, [90.0, 105.0, 60.0])


def test_seed_rule_decisions():
    decision = rule_decision(np.array([1500.0, 700.0, 850.0]), 800.0, 1200.0)
    assert decision.tolist() == [RuleAction.UI_REQUIRED, RuleAction.COUNTER, RuleAction.ACCEPT]


def test_exponent_loop_starts_at_defaults_inside_each_strategys_bounds():
    codes = np.array([Strategy.BOULWARE, Strategy.LINEAR, Strategy.CONCEDER, Strategy.ADAPTIVE])
    loop = exponent_loop(codes)
    np.testing.assert_allclose(exponent_from_theta(loop["theta"][:, 0]), [0.25, 1.0, 4.0, 1.0])
    assert np.all(loop["lower"] <= loop["theta"]) and np.all(loop["theta"] <= loop["upper"])
    # Linear cannot move; Boulware cannot become a conceder (e ≤ 1); adaptive spans both styles.
    assert loop["lower"][1, 0] == loop["upper"][1, 0] == 0.0
    assert np.exp(loop["upper"][0, 0]) == pytest.approx(1.0)
    assert np.exp(loop["lower"][3, 0]) < 1 < np.exp(loop["upper"][3, 0])


def test_strategy_labels_round_trip():
    for strategy in Strategy:
        assert Strategy.from_label(strategy.label) is strategy
    assert Strategy.from_label("tit_for_tat") is Strategy.TIT_FOR_TAT
