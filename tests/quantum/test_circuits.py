"""The circuits Aura measures, and how OpenQASM 2 text is accepted or refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import qasm2
from qiskit.quantum_info import Operator, Statevector

from quantum.circuits import CircuitError, LatticeEdge, bell, build, ghz, lattice, measured
from quantum.limits import CircuitLimits

QASM_BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
"""


def test_bell_and_ghz_states() -> None:
    assert Statevector(bell()).equiv(Statevector([1, 0, 0, 1] / np.sqrt(2)))
    probabilities = Statevector(ghz(4)).probabilities()
    assert probabilities[0] == pytest.approx(0.5) and probabilities[15] == pytest.approx(0.5)


def test_lattice_rotates_by_score_and_couples_by_interactions() -> None:
    # Cell 0 scores 1 (flipped), cell 1 scores 0; the only edge, 0 → 1, is the busiest, so a full π.
    circuit = lattice([1.0, 0.0], [LatticeEdge(0, 1, 5)])
    assert Statevector(circuit).probabilities()[3] == pytest.approx(1.0)
    # Half the interactions of the busiest edge: a π/2 rotation, controlled by a flipped cell.
    circuit = lattice([1.0, 0.0, 0.0], [LatticeEdge(0, 1, 4), LatticeEdge(0, 2, 2)])
    p = Statevector(circuit).probabilities()
    assert p[0b011] == pytest.approx(math.cos(math.pi / 4) ** 2)
    assert p[0b111] == pytest.approx(math.sin(math.pi / 4) ** 2)
    # An edge without interactions does nothing.
    assert lattice([0.5, 0.5], [LatticeEdge(0, 1, 0)]).num_nonlocal_gates() == 0


@pytest.mark.parametrize(
    ("scores", "edges"),
    [
        ([1.5], []),
        ([0.5, 0.5], [LatticeEdge(0, 2, 1)]),
        ([0.5], [LatticeEdge(0, 0, 1)]),
        ([0.5, 0.5], [LatticeEdge(0, 1, -1)]),
    ],
)
def test_invalid_lattices_are_refused(scores: list[float], edges: list[LatticeEdge]) -> None:
    with pytest.raises(CircuitError) as raised:
        lattice(scores, edges)
    assert raised.value.code == "invalid_lattice"


def test_qasm_is_parsed_without_its_measurements() -> None:
    circuit = build(QASM_BELL)
    assert circuit.num_clbits == 0
    assert Statevector(circuit).equiv(Statevector(bell()))
    assert measured(circuit).count_ops()["measure"] == 2


def test_custom_qasm_gates_are_expanded_into_standard_gates() -> None:
    text = QASM_BELL.replace("h q[0];", "gate prep(t) a { ry(t) a; }\nprep(pi/2) q[0];")
    circuit = build(text)
    assert {op.name for op in (i.operation for i in circuit.data)} == {"ry", "cx"}
    assert Statevector(circuit).equiv(Statevector(bell()))


def test_nested_gates_with_angles_expand_to_the_same_operator_as_qiskits_own_definitions() -> None:
    unitary = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
qreg r[1];
creg c[3];
gate rot(t) a { rz(t) a; ry(t/2) a; }
gate pair(t) a, b { rot(t) a; cx a, b; barrier a, b; rot(-t) b; }
gate twice(t) a, b { pair(t) a, b; pair(2*t) b, a; }
twice(0.3) q[0], r[0];
pair(pi/5) q, r[0];
h q;
"""
    circuit = build(unitary + "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\nmeasure r[0] -> c[2];\n")
    assert set(circuit.count_ops()) == {"rz", "ry", "cx", "barrier", "h"}
    assert Operator(circuit) == Operator(qasm2.loads(unitary, include_path=()))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("OPENQASM 2.0; qreg q[1]; nope q[0];", "invalid_qasm"),
        ("not qasm at all", "invalid_qasm"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nreset q[0];\nh q[0];', "not_unitary"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q->c;\nx q[0];', "not_unitary"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nif(c==1) x q[0];', "not_unitary"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[21];\nh q;', "too_many_qubits"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nopaque g a;\ng q[0];', "opaque_gate"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nu1(1e308*10) q[0];', "invalid_angle"),
        ('OPENQASM 2.0;\ninclude "lib.inc";\nqreg q[1];', "include_not_allowed"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\ngate g a { g a; }\nqreg q[1];\ng q[0];', "invalid_qasm"),
    ],
)
def test_unusable_qasm_is_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(CircuitError) as raised:
        build(text)
    assert raised.value.code == code


def test_named_circuits_and_qubit_counts() -> None:
    assert build("ghz").num_qubits == 3
    assert build("ghz", qubits=5).num_qubits == 5
    assert build("bell", qubits=2).num_qubits == 2
    with pytest.raises(CircuitError, match="qubits_mismatch"):
        build("bell", qubits=3)
    with pytest.raises(CircuitError, match="too_many_qubits"):
        build("ghz", qubits=30)
    with pytest.raises(CircuitError, match="too_many_qubits"):
        build("ghz", qubits=6, limits=CircuitLimits(max_qubits=5))
    with pytest.raises(CircuitError, match="lattice_state_missing"):
        build("lattice")
