"""How large a circuit request may be: the bounds `circuits.build` holds every request to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_QUBITS: Final[int] = 20
"""Most qubits a circuit may have: the ideal reference is a 2ⁿ-amplitude statevector."""


@dataclass(frozen=True)
class CircuitLimits:
    """The bounds of one circuit request; each is checked before what it bounds is allocated or expanded."""

    max_bytes: int = 65_536
    max_qubits: int = DEFAULT_MAX_QUBITS
    max_gate_definitions: int = 100
    max_gates: int = 10_000
    max_depth: int = 2_000
    max_lattice_edges: int = 256


#: The bounds a request is held to when its caller names none.
DEFAULT_LIMITS: Final[CircuitLimits] = CircuitLimits()
