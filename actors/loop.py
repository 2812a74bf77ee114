"""The W2 loop: bounded strategy parameters moved one step at a time to lower W2.

Every K outcomes an actor measures W2(window, target) and moves one
coordinate of θ by its step in its current direction. The direction comes
from the previous move: if W2 rose after it, the move is undone in effect by
turning around and halving that coordinate's step (down to a floor). It is a
sign-based descent (Rprop without gradients), so it needs no model of how θ
shapes outcomes, only the W2 it observes.

`step_rows` is the one implementation, over rows of arrays, used by single
logical actors (one row) and by the batch simulation (one row per party).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from actors.w2 import wasserstein2

SHRINK = 0.5


def step_rows(
    theta: NDArray,
    direction: NDArray,
    step: NDArray,
    last_w2: NDArray,
    w2: NDArray,
    coordinate: NDArray,
    lower: NDArray,
    upper: NDArray,
    min_step: NDArray,
) -> None:
    """Advance every row's loop by one step, in place.

    Shapes: `theta`, `direction`, `step`, `lower`, `upper`, `min_step` are
    (rows, params); `last_w2`, `w2` and `coordinate` (the coordinate each row
    moved last, or will move first) are (rows,). A row whose `last_w2` is NaN
    has not moved yet. `last_w2` becomes `w2` and `coordinate` the one moved.
    """
    rows = np.arange(theta.shape[0])
    params = theta.shape[1]
    worse = np.nan_to_num(w2 > last_w2, nan=False) & ~np.isnan(last_w2)
    prev = coordinate
    direction[rows[worse], prev[worse]] *= -1.0
    shrunk = step[rows[worse], prev[worse]] * SHRINK
    step[rows[worse], prev[worse]] = np.maximum(shrunk, min_step[rows[worse], prev[worse]])
    # A worse result retries the same coordinate in the other direction; otherwise move on.
    moved = np.where(worse | np.isnan(last_w2), prev, (prev + 1) % params)
    proposal = theta[rows, moved] + direction[rows, moved] * step[rows, moved]
    lo, hi = lower[rows, moved], upper[rows, moved]
    # At a bound the only useful direction is back inside.
    direction[rows, moved] = np.where(proposal > hi, -1.0, np.where(proposal < lo, 1.0, direction[rows, moved]))
    theta[rows, moved] = np.clip(proposal, lo, hi)
    last_w2[:] = w2
    coordinate[:] = moved


@dataclass
class W2Loop:
    """One logical actor's W2 loop: outcome window, target, bounded θ and W2 history."""

    theta: NDArray
    lower: NDArray
    upper: NDArray
    step: NDArray
    target_values: NDArray = field(default_factory=lambda: np.array([1.0]))
    target_weights: NDArray | None = None
    every: int = 10
    window_size: int = 50
    min_step: NDArray | None = None
    history_size: int = 1000
    window: deque[float] = field(default_factory=deque)
    history: list[float] = field(default_factory=list)
    direction: NDArray | None = None
    last_w2: float = float("nan")
    coordinate: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        self.theta = np.asarray(self.theta, dtype=np.float64).copy()
        self.lower = np.asarray(self.lower, dtype=np.float64)
        self.upper = np.asarray(self.upper, dtype=np.float64)
        self.step = np.asarray(self.step, dtype=np.float64).copy()
        if self.min_step is None:
            self.min_step = self.step / 64.0
        if self.direction is None:
            self.direction = np.ones_like(self.theta)
        if np.any(self.lower > self.upper) or np.any(self.theta < self.lower) or np.any(self.theta > self.upper):
            raise ValueError("theta must lie within [lower, upper]")
        if self.every < 1 or self.window_size < 1:
            raise ValueError("every and window_size must be at least 1")
        self.window = deque(self.window, maxlen=self.window_size)

    def record(self, score: float) -> float | None:
        """Add one outcome score in [0, 1]; every `every` outcomes, step θ and return the W2 measured."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"outcome score {score} is outside [0, 1]")
        self.window.append(float(score))
        self.seen += 1
        if self.seen % self.every:
            return None
        return self.step_now()

    def step_now(self) -> float:
        """Measure W2(window, target), move θ one step, and record the W2 in the history."""
        w2 = wasserstein2(np.fromiter(self.window, float), self.target_values, None, self.target_weights)
        direction, min_step = self._derived()
        last = np.array([self.last_w2])
        coordinate = np.array([self.coordinate])
        # One-row views, so step_rows writes through to this loop's arrays.
        step_rows(
            self.theta[None, :],
            direction[None, :],
            self.step[None, :],
            last,
            np.array([w2]),
            coordinate,
            self.lower[None, :],
            self.upper[None, :],
            min_step[None, :],
        )
        self.last_w2, self.coordinate = float(last[0]), int(coordinate[0])
        self.history.append(w2)
        if len(self.history) > self.history_size:
            del self.history[: len(self.history) - self.history_size]
        return w2

    def _derived(self) -> tuple[NDArray, NDArray]:
        """The direction and step floor `__post_init__` fills in when they are not given."""
        assert self.direction is not None and self.min_step is not None
        return self.direction, self.min_step

    def state(self) -> dict:
        """A JSON-ready snapshot."""
        direction, min_step = self._derived()
        return {
            "theta": self.theta.tolist(),
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
            "step": self.step.tolist(),
            "min_step": min_step.tolist(),
            "direction": direction.tolist(),
            "target_values": self.target_values.tolist(),
            "target_weights": None if self.target_weights is None else self.target_weights.tolist(),
            "every": self.every,
            "window_size": self.window_size,
            "history_size": self.history_size,
            "window": list(self.window),
            "history": list(self.history),
            "last_w2": None if np.isnan(self.last_w2) else self.last_w2,
            "coordinate": self.coordinate,
            "seen": self.seen,
        }

    @classmethod
    def from_state(cls, state: dict) -> W2Loop:
        """Rebuild a loop from `state()`."""
        values = dict(state)
        values["last_w2"] = float("nan") if values.get("last_w2") is None else values["last_w2"]
        for key in ("min_step", "direction", "target_values", "target_weights"):
            if values.get(key) is not None:
                values[key] = np.asarray(values[key], dtype=np.float64)
        return cls(**values)
