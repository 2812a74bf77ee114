"""W2 against closed forms and against a brute-force quantile integral."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.w2 import w2_rows_to_points, wasserstein2


def brute_force_w2(u, v, uw=None, vw=None, grid: int = 200_000) -> float:
    """Midpoint-rule integral of the squared quantile difference, for comparison only."""

    def quantile(values, weights):
        values = np.asarray(values, float)
        weights = np.ones_like(values) if weights is None else np.asarray(weights, float)
        order = np.argsort(values)
        cdf = np.cumsum(weights[order]) / weights.sum()
        return lambda p: values[order][np.minimum(np.searchsorted(cdf, p, side="left"), len(values) - 1)]

    p = (np.arange(grid) + 0.5) / grid
    return float(np.sqrt(np.mean((quantile(u, uw)(p) - quantile(v, vw)(p)) ** 2)))


def test_point_masses_are_their_distance_apart() -> None:
    assert wasserstein2([3.0], [-1.5]) == pytest.approx(4.5)


def test_a_shifted_sample_is_the_shift_away() -> None:
    rng = np.random.default_rng(1)
    sample = rng.normal(size=500)
    assert wasserstein2(sample, sample + 0.7) == pytest.approx(0.7)


def test_identical_samples_in_any_order_are_zero_apart() -> None:
    sample = np.array([0.3, 0.1, 0.9, 0.5])
    assert wasserstein2(sample, sample[::-1]) == 0.0


def test_two_normals_match_the_closed_form_from_their_quantiles() -> None:
    # W2(N(m1, s1²), N(m2, s2²))² = (m1 − m2)² + (s1 − s2)²; sampled at matching quantiles.
    levels = (np.arange(20_000) + 0.5) / 20_000
    a = np.array([NormalDist(1.0, 2.0).inv_cdf(p) for p in levels])
    b = np.array([NormalDist(-0.5, 0.5).inv_cdf(p) for p in levels])
    assert wasserstein2(a, b) == pytest.approx(math.hypot(1.5, 1.5), rel=2e-3)


def test_weights_move_mass_between_support_points() -> None:
    # P = 0 w.p. 1/4, 1 w.p. 3/4; Q = 1: only the quarter at 0 moves, by 1.
    assert wasserstein2([0.0, 1.0], [1.0], [1, 3]) == pytest.approx(math.sqrt(0.25))
    # Unnormalised weights mean the same distribution.
    assert wasserstein2([0.0, 1.0], [1.0], [10, 30]) == pytest.approx(0.5)


def test_zero_weight_points_do_not_count() -> None:
    assert wasserstein2([0.0, 100.0], [0.0], [1.0, 0.0]) == 0.0


@pytest.mark.parametrize(
    ("u", "v", "uw", "message"),
    [
        ([], [1.0], None, "empty"),
        ([np.nan], [1.0], None, "non-finite"),
        ([1.0], [1.0], [-1.0], "non-negative"),
        ([1.0], [1.0], [0.0], "sum to zero"),
        ([1.0, 2.0], [1.0], [1.0], "shape"),
    ],
)
def test_invalid_samples_are_refused(u, v, uw, message) -> None:
    with pytest.raises(ValueError, match=message):
        wasserstein2(u, v, uw)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=6),
    st.lists(st.floats(-5, 5), min_size=1, max_size=6),
    st.data(),
)
def test_matches_brute_force_on_small_weighted_cases(u, v, data) -> None:
    uw = data.draw(st.lists(st.floats(0.1, 3), min_size=len(u), max_size=len(u)))
    vw = data.draw(st.lists(st.floats(0.1, 3), min_size=len(v), max_size=len(v)))
    assert wasserstein2(u, v, uw, vw) == pytest.approx(brute_force_w2(u, v, uw, vw), abs=2e-3)


def test_rows_to_points_is_the_root_mean_square_gap_and_skips_missing() -> None:
    samples = np.array([[0.0, 1.0], [0.5, np.nan], [np.nan, np.nan]])
    got = w2_rows_to_points(samples, np.array([1.0, 0.0, 0.0]))
    assert got[0] == pytest.approx(wasserstein2([0.0, 1.0], [1.0]))
    assert got[1] == pytest.approx(0.5)
    assert np.isnan(got[2])
