"""Quantum metrics of a session's lattice: the lattice circuit run through the quantum pool.

One qubit per cell (in `ROLES` order). A cell's score is 1 − its W2 (its
recent quality scores' distance from perfect) when it has worked in the
session, else 0; an edge runs from each cell a cell built on to that cell,
weighted by how many steps the receiving cell took. The numbers are the
defined statistics of that circuit's runs (Φ, Γ, Λ, W₂), nothing more.
"""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from aura.settings import LatticeSettings, get_settings
from lattice.messages import ROLES
from lattice.topology import LatticeView


@dataclass(frozen=True)
class QuantumResult:
    """Metrics {phi, gamma, lambda, w2} and the backend that measured them, or the reason there are none."""

    metrics: dict[str, float] | None
    backend: str | None
    reason: str | None = None
    pending: bool = False


def circuit_inputs(view: LatticeView) -> tuple[list[float], list[tuple[int, int, int]]]:
    """The lattice circuit's cell scores and (source, target, interactions) edges for `view`."""
    index = {role: i for i, role in enumerate(ROLES)}
    by_id = {node.agent_id: node for node in view.nodes}
    scores = [0.0] * len(ROLES)
    edges: list[tuple[int, int, int]] = []
    for node in view.nodes:
        if node.steps > 0 and node.vector.w2 is not None:
            scores[index[node.agent_type]] = min(1.0, max(0.0, 1.0 - node.vector.w2))
        for source_id in node.connections:
            source = by_id.get(source_id)
            if source is not None and source.agent_type != node.agent_type:
                edges.append((index[source.agent_type], index[node.agent_type], node.steps))
    return scores, edges


class QuantumLink:
    """Submits lattice circuits to the cluster's quantum pool."""

    def __init__(self, settings: LatticeSettings | None = None) -> None:
        self._settings = settings or get_settings().lattice
        self.available = importlib.util.find_spec("quantum.pool") is not None

    def unavailable(self) -> QuantumResult:
        """The answer when no quantum pool can run the circuit."""
        return QuantumResult(None, None, "quantum metrics are unavailable: the quantum pool is not installed")

    def submit(self, view: LatticeView) -> asyncio.Future[QuantumResult] | None:
        """Start measuring the lattice circuit of `view`; None when there is no pool to run it."""
        if not self.available:
            return None
        return asyncio.ensure_future(self._measure(view))

    async def _measure(self, view: LatticeView) -> QuantumResult:
        # Qiskit takes seconds to import the first time; a thread keeps the event loop free meanwhile.
        quantum = await asyncio.to_thread(_load_quantum)
        scores, edges = circuit_inputs(view)
        circuit = quantum.lattice(scores, [quantum.LatticeEdge(s, t, n) for s, t, n in edges])
        try:
            result = await quantum.run_metrics(circuit, self._settings.quantum_shots, self._settings.quantum_backend)
        except (quantum.PoolBusy, quantum.QuantumJobFailed, quantum.CircuitError) as exc:
            return QuantumResult(None, None, f"quantum run failed: {exc}")
        reason = None if result.fallback_reason is None else f"fell back: {result.fallback_reason}"
        return QuantumResult(
            {"phi": result.phi, "gamma": result.gamma, "lambda": result.lam, "w2": result.w2},
            result.backend_used,
            reason,
        )


_USED = ("lattice", "LatticeEdge", "run_metrics", "PoolBusy", "QuantumJobFailed", "CircuitError")


def _load_quantum() -> ModuleType:
    """The `quantum` package with the names used here loaded (its names load on first use)."""
    import quantum

    for name in _USED:
        getattr(quantum, name)
    return quantum
