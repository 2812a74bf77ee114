"""Quantum metrics of a session's lattice: the lattice circuit run through the quantum pool."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from lattice.topology import LatticeView


@dataclass(frozen=True)
class QuantumResult:
    """Metrics {phi, gamma, lambda, w2} and the backend that measured them, or the reason there are none."""

    metrics: dict[str, float] | None
    backend: str | None
    reason: str | None = None
    pending: bool = False


class QuantumLink:
    """Submits lattice circuits to the quantum pool.

    The quantum pool is not part of this tree yet, so no circuit can run:
    every request is answered with the reason, never with numbers.
    """

    available = False

    def unavailable(self) -> QuantumResult:
        """The answer when no quantum pool can run the circuit."""
        return QuantumResult(None, None, "quantum metrics are unavailable: the quantum pool is not installed")

    def submit(self, view: LatticeView) -> asyncio.Future[QuantumResult] | None:
        """Start measuring the lattice circuit of `view`; None when there is no pool to run it."""
        return None
