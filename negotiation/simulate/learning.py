"""Every party's W2 loop over its concession exponent, one row per party.

Between epochs each party scores its epoch's outcomes (utility in [0, 1],
0 for no agreement), measures W2 between those scores and a point mass at
the scenario's target utility, and moves θ = log(exponent) one step through
`actors.loop.step_rows`, the same step a single logical actor takes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from actors import step_rows, w2_rows_to_points
from negotiation.strategies import exponent_from_theta, exponent_loop


@dataclass
class PartyLoops:
    """W2-loop state of many parties: θ and its bounds and steps (rows, 1), last W2 and coordinate (rows,)."""

    theta: NDArray[np.float64]
    direction: NDArray[np.float64]
    step: NDArray[np.float64]
    min_step: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    last_w2: NDArray[np.float64]
    coordinate: NDArray[np.int64]

    @classmethod
    def start(cls, strategy: NDArray) -> PartyLoops:
        """Fresh loops at each strategy's starting exponent."""
        arrays = exponent_loop(strategy)
        rows = arrays["theta"].shape[0]
        return cls(
            direction=np.ones_like(arrays["theta"]),
            last_w2=np.full(rows, np.nan),
            coordinate=np.zeros(rows, dtype=np.int64),
            **arrays,
        )

    def exponent(self) -> NDArray[np.float32]:
        """Each party's current concession exponent."""
        return exponent_from_theta(self.theta[:, 0]).astype(np.float32)

    def state(self) -> dict[str, NDArray]:
        """The arrays that make up the loops (copies), for a checkpoint."""
        return {name: values.copy() for name, values in asdict(self).items()}

    @classmethod
    def from_state(cls, state: dict[str, NDArray]) -> PartyLoops:
        """Loops rebuilt from `state()` (copied, so read-only buffers from the object store are fine)."""
        return cls(**{name: np.array(values) for name, values in state.items()})

    def learn(
        self, party: NDArray, negotiation: NDArray, score: NDArray, target: float, width: int | None = None
    ) -> NDArray[np.float64]:
        """Step every party with outcomes this epoch; return each party's W2 (NaN for parties without outcomes).

        `party` is each outcome's row in these loops, `negotiation` its global
        number (samples are laid out in that order, so the result never depends
        on the order outcomes arrive in) and `score` its utility in [0, 1].
        `width` is the padded sample count per row; a row's sum depends on it
        (NumPy sums in blocks), so callers whose parties are split over shards
        pass one width for all (the most outcomes any party of the side had).
        """
        rows = self.theta.shape[0]
        w2 = np.full(rows, np.nan)
        if score.size:
            order = np.lexsort((negotiation, party))
            owner, value = party[order], score[order]
            counts = np.bincount(owner, minlength=rows)
            rank = np.arange(owner.size) - (np.cumsum(counts) - counts)[owner]
            samples = np.full((rows, int(counts.max()) if width is None else width), np.nan)
            samples[owner, rank] = value
            w2 = w2_rows_to_points(samples, np.full(rows, float(target)))
        moving = np.flatnonzero(~np.isnan(w2))
        if moving.size:
            # step_rows works in place; fancy indexing copies, so step the subset and write it back.
            sub = {
                name: getattr(self, name)[moving] for name in ("theta", "direction", "step", "last_w2", "coordinate")
            }
            step_rows(
                sub["theta"],
                sub["direction"],
                sub["step"],
                sub["last_w2"],
                w2[moving],
                sub["coordinate"],
                self.lower[moving],
                self.upper[moving],
                self.min_step[moving],
            )
            for name, values in sub.items():
                getattr(self, name)[moving] = values
        return w2
