"""The W2 loop: bounded parameters that move to lower W2 in a stationary environment."""

from __future__ import annotations

import numpy as np
import pytest

from actors.loop import W2Loop, step_rows


def stationary_score(theta: np.ndarray, rng: np.random.Generator) -> float:
    """A toy environment: the score peaks at θ = (0.8, 0.3), with noise."""
    gap = np.abs(theta - np.array([0.8, 0.3])).sum()
    return float(np.clip(1.0 - gap + rng.normal(0, 0.03), 0.0, 1.0))


def test_w2_trends_down_in_a_stationary_environment() -> None:
    rng = np.random.default_rng(7)
    loop = W2Loop(theta=[0.1, 0.9], lower=[0, 0], upper=[1, 1], step=[0.1, 0.1], every=10, window_size=10)
    for _ in range(600):
        loop.record(stationary_score(loop.theta, rng))
    history = np.array(loop.history)
    assert len(history) == 60
    assert history[-10:].mean() < 0.5 * history[:5].mean()
    assert np.all(loop.theta >= 0) and np.all(loop.theta <= 1)


def test_parameters_never_leave_their_bounds() -> None:
    loop = W2Loop(theta=[0.95], lower=[0.0], upper=[1.0], step=[0.5], every=1, window_size=1)
    for score in [0.0, 0.1, 0.0, 0.2, 0.0] * 10:
        loop.record(score)
        assert 0.0 <= loop.theta[0] <= 1.0


def test_a_worse_w2_turns_the_coordinate_around_and_halves_its_step() -> None:
    theta = np.array([[0.5]])
    direction, step = np.array([[1.0]]), np.array([[0.2]])
    last, coordinate = np.array([np.nan]), np.array([0])
    bounds = {"lower": np.array([[0.0]]), "upper": np.array([[1.0]]), "min_step": np.array([[0.01]])}
    step_rows(theta, direction, step, last, np.array([0.4]), coordinate, **bounds)
    assert theta[0, 0] == pytest.approx(0.7)
    step_rows(theta, direction, step, last, np.array([0.6]), coordinate, **bounds)
    assert direction[0, 0] == -1.0 and step[0, 0] == pytest.approx(0.1)
    assert theta[0, 0] == pytest.approx(0.6)


def test_scores_outside_unit_interval_are_refused() -> None:
    loop = W2Loop(theta=[0.5], lower=[0], upper=[1], step=[0.1])
    with pytest.raises(ValueError):
        loop.record(1.5)


def test_state_round_trips() -> None:
    rng = np.random.default_rng(3)
    loop = W2Loop(theta=[0.2, 0.2], lower=[0, 0], upper=[1, 1], step=[0.1, 0.1], every=5, window_size=5)
    for _ in range(23):
        loop.record(stationary_score(loop.theta, rng))
    again = W2Loop.from_state(loop.state())
    assert again.state() == loop.state()
