"""Metrics and the per-party W2 loop on outcome sets built by hand."""

import numpy as np
import pytest

from negotiation.simulate.learning import PartyLoops
from negotiation.simulate.metrics import Outcomes, pair_metrics, run_metrics, w2_stats
from negotiation.strategies import Strategy


@pytest.fixture
def outcomes() -> Outcomes:
    # 0: linear/linear, zone [60, 100], agreed at 84 in round index 7 (8 rounds).
    # 1: linear/linear, buyer pays at most 59 < floor 60: no zone, no deal.
    # 2: boulware buyer / rule seller, zone [60, 100], agreed at the floor 60 in round index 2 (3 rounds).
    f32 = lambda *v: np.array(v, dtype=np.float32)  # noqa: E731
    return Outcomes(
        buyer_strategy=np.array([Strategy.LINEAR, Strategy.LINEAR, Strategy.BOULWARE], dtype=np.int8),
        seller_strategy=np.array([Strategy.LINEAR, Strategy.LINEAR, Strategy.RULE], dtype=np.int8),
        buyer_reservation_price=f32(100, 59, 100),
        buyer_aspiration_price=f32(50, 50, 50),
        seller_floor_price=f32(60, 60, 60),
        seller_base_price=f32(120, 120, 120),
        agreed=np.array([True, False, True]),
        round=np.array([7, -1, 2], dtype=np.int16),
        price=f32(84, np.nan, 60),
    )


def test_run_metrics_by_hand(outcomes):
    m = run_metrics(outcomes)
    # Utilities: buyer (100 − p)/50, seller (p − 60)/60. Row 0: 0.32 and 0.4; row 2: 0.8 and 0.
    # Nash point = middle of the zone, 80: buyer 0.4, seller 1/3. Row 0 is hypot(−0.08, 0.0667) = 0.104137 away,
    # row 2 hypot(0.4, −1/3) = 0.520683; row 1 has no zone, so the point is (0, 0) and it is there.
    assert (m.negotiations, m.agreements) == (3, 2)
    assert m.agreement_rate == pytest.approx(2 / 3)
    assert m.mean_rounds == pytest.approx((8 + 3) / 2)
    assert m.mean_normalised_price == pytest.approx((24 / 40 + 0) / 2)
    assert m.buyer_utility == pytest.approx((0.32 + 0 + 0.8) / 3)
    assert m.seller_utility == pytest.approx(0.4 / 3)
    assert m.social_welfare == pytest.approx((0.72 + 0.8) / 3)
    assert m.nash_distance == pytest.approx((0.104137 + 0.520683) / 3, abs=1e-6)
    # Buyers kept 16 of 40 and 40 of 40 of the money surplus.
    assert m.buyer_surplus_share == pytest.approx(56 / 80)


def test_pair_metrics_by_hand(outcomes):
    pairs = {(p.buyer_strategy, p.seller_strategy): p for p in pair_metrics(outcomes)}
    assert set(pairs) == {("linear", "linear"), ("boulware", "rule")}
    linear = pairs["linear", "linear"]
    assert (linear.negotiations, linear.agreements, linear.agreement_rate) == (2, 1, 0.5)
    assert linear.mean_normalised_price == pytest.approx(0.6)
    rule = pairs["boulware", "rule"]
    assert (rule.agreement_rate, rule.mean_rounds, rule.mean_normalised_price) == (1.0, 3.0, 0.0)
    assert rule.buyer_utility == pytest.approx(0.8)


def test_w2_stats_skip_parties_without_outcomes():
    stats = w2_stats(np.array([np.nan, 0.1, 0.2, 0.3, 0.4]))
    assert stats.parties == 4
    assert (stats.mean, stats.p50, stats.p90) == pytest.approx((0.25, 0.25, 0.37))
    assert w2_stats(np.array([np.nan])).mean is None


def test_party_loops_step_only_parties_with_outcomes():
    loops = PartyLoops.start(np.array([Strategy.ADAPTIVE, Strategy.ADAPTIVE, Strategy.LINEAR], dtype=np.int8))
    # Party 0 scored 0.5 twice: W2 to a point at 1 is 0.5. Party 1 had nothing. Party 2 (linear) scored 1.
    w2 = loops.learn(np.array([0, 2, 0]), np.array([5, 6, 7]), np.array([0.5, 1.0, 0.5]), target=1.0)
    assert w2[0] == pytest.approx(0.5) and np.isnan(w2[1]) and w2[2] == pytest.approx(0.0)
    # Its first step moves party 0's log-exponent up by the starting step 0.5; linear's bounds pin it at 1.
    np.testing.assert_allclose(loops.exponent(), [np.exp(0.5), 1.0, 1.0], rtol=1e-6)
    # W2 got worse: the loop turns around and halves the step (log e: 0.5 → 0.25).
    loops.learn(np.array([0]), np.array([8]), np.array([0.2]), target=1.0)
    np.testing.assert_allclose(loops.exponent()[0], np.exp(0.25), rtol=1e-6)
    assert np.isnan(loops.last_w2[1])
