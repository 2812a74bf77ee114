"""The circuits Aura measures: Bell, GHZ(n), the lattice circuit, and OpenQASM 2 text.

Every builder returns the circuit's unitary part, without measurements:
`measured` adds the measurement of every qubit (qubit k into classical bit k,
so count keys follow Qiskit's little-endian order), and the metrics take the
ideal reference from the unmeasured circuit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Barrier, Gate
from qiskit.circuit.library import get_standard_gate_name_mapping

from quantum.errors import QuantumError

_STANDARD_GATES = {name: type(gate) for name, gate in get_standard_gate_name_mapping().items()}

DEFAULT_MAX_QUBITS: Final[int] = 20
"""Most qubits a circuit may have: the ideal reference is a 2ⁿ-amplitude statevector."""


class CircuitError(QuantumError, ValueError):
    """A circuit request that cannot be built or measured; `code` is machine-readable."""


@dataclass(frozen=True)
class LatticeEdge:
    """An edge between two cells of the lattice and how many interactions it carried."""

    source: int
    target: int
    interactions: int


def bell() -> QuantumCircuit:
    """The Bell state (|00⟩ + |11⟩)/√2 on two qubits."""
    circuit = QuantumCircuit(2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


def ghz(num_qubits: int) -> QuantumCircuit:
    """The n-qubit GHZ state (|0…0⟩ + |1…1⟩)/√2, n ≥ 2, as a CNOT chain from qubit 0."""
    if num_qubits < 2:
        raise CircuitError("too_few_qubits", f"GHZ needs at least 2 qubits, got {num_qubits}")
    circuit = QuantumCircuit(num_qubits, name=f"ghz_{num_qubits}")
    circuit.h(0)
    for qubit in range(1, num_qubits):
        circuit.cx(qubit - 1, qubit)
    return circuit


def lattice(scores: Sequence[float], edges: Sequence[LatticeEdge]) -> QuantumCircuit:
    """The lattice circuit: one qubit per cell, coupled along the lattice's edges.

    Qubit k is rotated by RY(π · scoreₖ), so a cell scoring 0 stays |0⟩, one
    scoring 1 flips to |1⟩ and one scoring ½ sits in an equal superposition.
    Each edge (s, t) then applies a controlled RY from qubit s to qubit t whose
    angle is π · interactions / (most interactions on any edge): weights are
    relative, so the busiest edge gets a full π and an edge with no
    interactions does nothing.

    Args:
        scores: one score in [0, 1] per cell; its index is the cell's qubit.
        edges: lattice edges between distinct cells, with non-negative counts.

    Raises:
        CircuitError: on scores outside [0, 1], fewer than one cell, or an
            edge that names a missing cell, joins a cell to itself or has a
            negative count.
    """
    num_qubits = len(scores)
    if num_qubits < 1:
        raise CircuitError("too_few_qubits", "the lattice circuit needs at least one cell score")
    for cell, score in enumerate(scores):
        if not (0.0 <= score <= 1.0):
            raise CircuitError("invalid_lattice", f"score of cell {cell} is {score}, not in [0, 1]")
    for edge in edges:
        if not (0 <= edge.source < num_qubits and 0 <= edge.target < num_qubits):
            raise CircuitError("invalid_lattice", f"edge {edge.source}–{edge.target} names a cell outside 0…{num_qubits - 1}")
        if edge.source == edge.target:
            raise CircuitError("invalid_lattice", f"edge {edge.source}–{edge.target} joins a cell to itself")
        if edge.interactions < 0:
            raise CircuitError("invalid_lattice", f"edge {edge.source}–{edge.target} has {edge.interactions} interactions")
    circuit = QuantumCircuit(num_qubits, name=f"lattice_{num_qubits}")
    for cell, score in enumerate(scores):
        circuit.ry(math.pi * score, cell)
    busiest = max((edge.interactions for edge in edges), default=0)
    for edge in edges:
        if edge.interactions > 0:
            circuit.cry(math.pi * edge.interactions / busiest, edge.source, edge.target)
    return circuit


def from_qasm(text: str) -> QuantumCircuit:
    """Parse an OpenQASM 2 program into the unitary part of its circuit.

    Final measurements are dropped (every qubit is measured when the circuit
    runs); barriers are kept; gates the program defines itself are expanded
    into standard gates, so circuits from different programs never share a
    gate name with different meanings. Raises `CircuitError` with code ``invalid_qasm``
    when the text does not parse, and ``not_unitary`` when anything other than
    gates and barriers precedes the final measurements (a reset, a
    mid-circuit measurement, a classically conditioned gate), because such a
    circuit has no single ideal final state to compare against.
    """
    try:
        parsed = qasm2.loads(text)
    except qasm2.QASM2ParseError as error:
        raise CircuitError("invalid_qasm", f"invalid OpenQASM 2: {error}") from error
    if parsed.num_qubits < 1:
        raise CircuitError("too_few_qubits", "the OpenQASM program declares no qubits")
    unitary = parsed.remove_final_measurements(inplace=False)
    for instruction in unitary.data:
        operation = instruction.operation
        if isinstance(operation, Barrier):
            continue
        if not isinstance(operation, Gate):
            raise CircuitError(
                "not_unitary",
                f"'{operation.name}' before the final measurements: only gates and barriers may precede them",
            )
    # Registers from the program are irrelevant once measurements are dropped.
    circuit = QuantumCircuit(unitary.num_qubits, name=parsed.name)
    circuit.compose(unitary, qubits=range(unitary.num_qubits), clbits=[], inplace=True)
    while custom := {op.name for op in (i.operation for i in circuit.data) if _is_custom(op)}:
        circuit = circuit.decompose(gates_to_decompose=list(custom))
    return circuit


def _is_custom(operation: object) -> bool:
    """A gate defined by the program rather than taken from Qiskit's standard library."""
    return isinstance(operation, Gate) and _STANDARD_GATES.get(operation.name) is not type(operation)


def build(circuit: str, qubits: int | None = None, scores: Sequence[float] | None = None,
          edges: Sequence[LatticeEdge] = (), max_qubits: int = DEFAULT_MAX_QUBITS) -> QuantumCircuit:
    """The circuit a request names: ``"bell"``, ``"ghz"``, ``"lattice"`` or OpenQASM 2 text.

    `qubits` sizes GHZ (default 3) and must match where given for the others;
    `scores` and `edges` describe the lattice. Every circuit is checked
    against `max_qubits`, the largest ideal reference the caller will compute.

    Raises:
        CircuitError: codes ``invalid_qasm``, ``not_unitary``, ``too_many_qubits``,
            ``too_few_qubits``, ``qubits_mismatch``, ``lattice_state_missing``,
            ``invalid_lattice``.
    """
    name = circuit.strip()
    if qubits is not None and qubits > max_qubits:
        raise CircuitError("too_many_qubits", f"{qubits} qubits exceed the limit of {max_qubits} for the ideal reference")
    if name == "bell":
        built = bell()
    elif name == "ghz":
        built = ghz(3 if qubits is None else qubits)
    elif name == "lattice":
        if scores is None:
            raise CircuitError("lattice_state_missing", "the lattice circuit needs the cells' scores (and edges)")
        built = lattice(scores, edges)
    else:
        built = from_qasm(circuit)
    if built.num_qubits > max_qubits:
        raise CircuitError(
            "too_many_qubits", f"{built.num_qubits} qubits exceed the limit of {max_qubits} for the ideal reference"
        )
    if qubits is not None and built.num_qubits != qubits:
        raise CircuitError("qubits_mismatch", f"the {name if name in ('bell', 'lattice') else 'OpenQASM'} circuit has {built.num_qubits} qubits, not {qubits}")
    return built


def measured(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit followed by a measurement of every qubit k into classical bit k."""
    run = circuit.copy()
    run.measure_all(add_bits=True)
    return run
