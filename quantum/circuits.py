"""The circuits Aura measures: Bell, GHZ(n), the lattice circuit, and OpenQASM 2 text.

Every builder returns the circuit's unitary part, without measurements:
`measured` adds the measurement of every qubit (qubit k into classical bit k,
so count keys follow Qiskit's little-endian order), and the metrics take the
ideal reference from the unmeasured circuit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qiskit import QuantumCircuit, qasm2
from qiskit.circuit import Barrier, Gate, Instruction, Measure
from qiskit.circuit.library import get_standard_gate_name_mapping

from aura import excerpt
from quantum.errors import CircuitError
from quantum.limits import DEFAULT_LIMITS, CircuitLimits
from quantum.qasm_scan import scan

_STANDARD_GATES = {name: type(gate) for name, gate in get_standard_gate_name_mapping().items()}
# Qiskit's parse errors start with "<input>:line,column: "; the position is kept, the rest quoted as an excerpt.
_PARSE_POSITION = re.compile(r"^<input>:(\d+),(\d+):\s*")


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
            raise CircuitError(
                "invalid_lattice", f"edge {edge.source}–{edge.target} names a cell outside 0…{num_qubits - 1}"
            )
        if edge.source == edge.target:
            raise CircuitError("invalid_lattice", f"edge {edge.source}–{edge.target} joins a cell to itself")
        if edge.interactions < 0:
            raise CircuitError(
                "invalid_lattice", f"edge {edge.source}–{edge.target} has {edge.interactions} interactions"
            )
    circuit = QuantumCircuit(num_qubits, name=f"lattice_{num_qubits}")
    for cell, score in enumerate(scores):
        circuit.ry(math.pi * score, cell)
    busiest = max((edge.interactions for edge in edges), default=0)
    for edge in edges:
        if edge.interactions > 0:
            circuit.cry(math.pi * edge.interactions / busiest, edge.source, edge.target)
    return circuit


def from_qasm(text: str, limits: CircuitLimits = DEFAULT_LIMITS) -> QuantumCircuit:
    """Parse an OpenQASM 2 program into the unitary part of its circuit.

    The text is scanned first (`qasm_scan.scan`): only ``qelib1.inc`` may be
    included, and a program over the limits is refused before Qiskit reads it.
    Qiskit then parses it with an empty include path, so no file is ever
    opened. Final measurements are dropped (every qubit is measured when the
    circuit runs); barriers are kept; gates the program defines itself are
    expanded into standard gates, so circuits from different programs never
    share a gate name with different meanings.

    Raises:
        CircuitError: the codes of `qasm_scan.scan`; ``invalid_qasm`` when
            the text does not parse; ``not_unitary`` when anything other than
            gates and barriers precedes the final measurements (a reset, a
            mid-circuit measurement, a classically conditioned gate), because
            such a circuit has no single ideal final state to compare
            against; ``opaque_gate`` for a gate without a definition;
            ``invalid_angle`` for an angle that is infinite or NaN.
    """
    scan(text, limits)
    try:
        parsed = qasm2.loads(text, include_path=())
    except qasm2.QASM2ParseError as error:
        raise CircuitError("invalid_qasm", _parse_failure(error.message)) from error
    except BaseException as error:
        # Qiskit's Rust parser reports some input by panicking: pyo3's PanicException, a BaseException that
        # nothing above would catch. The scan refuses the input known to do it; this catches any other.
        if type(error).__name__ != "PanicException":
            raise
        raise CircuitError("invalid_qasm", "Qiskit's OpenQASM 2 parser could not read the program") from None
    if parsed.num_qubits < 1:
        raise CircuitError("too_few_qubits", "the OpenQASM program declares no qubits")
    for instruction in parsed.data:
        if not isinstance(instruction.operation, Gate | Barrier | Measure):
            raise _not_unitary(instruction.operation.name)
    return _expanded(parsed)


def _not_unitary(name: str) -> CircuitError:
    """The refusal of an operation that is neither a gate nor a barrier nor a final measurement."""
    return CircuitError(
        "not_unitary", f"'{excerpt(name)}' before the final measurements: only gates and barriers may precede them"
    )


def _parse_failure(message: str) -> str:
    """The reason for a Qiskit parse error: where it happened and a bounded excerpt of what Qiskit said."""
    position = _PARSE_POSITION.match(message)
    if position is None:
        return f"invalid OpenQASM 2: {excerpt(message)}"
    line, column = position.groups()
    return f"invalid OpenQASM 2 at {line}:{column}: {excerpt(message[position.end() :])}"


# A circuit as (operation, qubit positions) steps with its global phase.
_Steps = tuple[float, list[tuple[Instruction, tuple[int, ...]]]]


def _expanded(parsed: QuantumCircuit) -> QuantumCircuit:
    """The parsed program's unitary part: standard gates and barriers only, on qubits 0…n-1.

    Each program-defined gate is replaced by the standard gates of its
    definition, recursively; a gate's expansion is computed once per name
    and angles and reused at every application, so the work is one step per
    gate of the result, whose size `qasm_scan` bounded before parsing.
    (Qiskit's `decompose` and `remove_final_measurements` copy every nested
    definition instead, which for nested gates is exponential.) The final
    measurements are dropped; the program's registers mean nothing without them.
    """
    known: dict[tuple[str, tuple[float, ...]], _Steps] = {}

    def steps(source: QuantumCircuit) -> _Steps:
        position = {qubit: index for index, qubit in enumerate(source.qubits)}
        phase = float(source.global_phase)
        flat: list[tuple[Instruction, tuple[int, ...]]] = []
        for instruction in source.data:
            operation = instruction.operation
            wires = tuple(position[qubit] for qubit in instruction.qubits)
            if not _is_custom(operation):
                flat.append((operation, wires))
                continue
            key = (operation.name, tuple(operation.params))
            if key not in known:
                definition = operation.definition
                if definition is None:
                    raise CircuitError(
                        "opaque_gate", f"gate '{excerpt(operation.name)}' is opaque: it has no definition to run"
                    )
                known[key] = steps(definition)
            inner_phase, inner = known[key]
            phase += inner_phase
            flat += [(inner_operation, tuple(wires[w] for w in inner_wires)) for inner_operation, inner_wires in inner]
        return phase, flat

    phase, flat = steps(parsed)
    # Walking back from the end, a measurement is final while no gate after it acts on its qubit.
    acted_on: set[int] = set()
    kept: list[tuple[Instruction, tuple[int, ...]]] = []
    for operation, wires in reversed(flat):
        if isinstance(operation, Measure):
            if acted_on.intersection(wires):
                raise _not_unitary(operation.name)
            continue
        if not isinstance(operation, Barrier):
            acted_on.update(wires)
        kept.append((operation, wires))
    circuit = QuantumCircuit(parsed.num_qubits, name=parsed.name, global_phase=phase)
    qubits = circuit.qubits
    for operation, wires in reversed(kept):
        # An angle like 1e308*10-1e308*10 parses to NaN, which no backend can bind: the program's fault, not theirs.
        if not all(math.isfinite(angle) for angle in operation.params):
            raise CircuitError("invalid_angle", f"'{excerpt(operation.name)}' has an angle that is not a finite number")
        circuit.append(operation, [qubits[w] for w in wires], copy=False)
    return circuit


def _is_custom(operation: object) -> bool:
    """A gate defined by the program rather than taken from Qiskit's standard library."""
    return isinstance(operation, Gate) and _STANDARD_GATES.get(operation.name) is not type(operation)


def build(
    circuit: str,
    qubits: int | None = None,
    scores: Sequence[float] | None = None,
    edges: Sequence[LatticeEdge] = (),
    limits: CircuitLimits = DEFAULT_LIMITS,
) -> QuantumCircuit:
    """The circuit a request names: ``"bell"``, ``"ghz"``, ``"lattice"`` or OpenQASM 2 text.

    `qubits` sizes GHZ (default 3) and must match where given for the others;
    `scores` and `edges` describe the lattice. Every size the request states
    (text, qubits, cells, edges) is checked against `limits` before anything
    is built, and the built circuit's gates and depth after.

    Raises:
        CircuitError: codes ``circuit_text_too_large`` (text over `limits.max_bytes`),
            ``too_many_qubits``, ``too_many_edges``, ``too_many_gates``,
            ``too_deep``, ``too_few_qubits``, ``qubits_mismatch``,
            ``lattice_state_missing``, ``invalid_lattice``, and those of `from_qasm`.
    """
    size = len(circuit.encode())
    if size > limits.max_bytes:
        raise CircuitError(
            "circuit_text_too_large", f"the circuit text has {size} bytes; the limit is {limits.max_bytes}"
        )
    name = circuit.strip()
    requested = len(scores) if name == "lattice" and scores is not None else qubits
    if requested is not None and requested > limits.max_qubits:
        raise CircuitError("too_many_qubits", _too_many_qubits(requested, limits))
    if name == "bell":
        built = bell()
    elif name == "ghz":
        built = ghz(3 if qubits is None else qubits)
    elif name == "lattice":
        if scores is None:
            raise CircuitError("lattice_state_missing", "the lattice circuit needs the cells' scores (and edges)")
        if len(edges) > limits.max_lattice_edges:
            raise CircuitError(
                "too_many_edges", f"the lattice has {len(edges)} edges; the limit is {limits.max_lattice_edges}"
            )
        built = lattice(scores, edges)
    else:
        built = from_qasm(circuit, limits)
    if built.num_qubits > limits.max_qubits:
        raise CircuitError("too_many_qubits", _too_many_qubits(built.num_qubits, limits))
    if qubits is not None and built.num_qubits != qubits:
        kind = name if name in ("bell", "lattice") else "OpenQASM"
        raise CircuitError("qubits_mismatch", f"the {kind} circuit has {built.num_qubits} qubits, not {qubits}")
    if built.size() > limits.max_gates:
        raise CircuitError("too_many_gates", f"the circuit has {built.size()} gates; the limit is {limits.max_gates}")
    depth = built.depth()
    if depth > limits.max_depth:
        raise CircuitError("too_deep", f"the circuit is {depth} gates deep; the limit is {limits.max_depth}")
    return built


def _too_many_qubits(count: int, limits: CircuitLimits) -> str:
    return f"{count} qubits exceed the limit of {limits.max_qubits} for the ideal reference"


def measured(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit followed by a measurement of every qubit k into classical bit k."""
    run = circuit.copy()
    run.measure_all(add_bits=True)
    return run
