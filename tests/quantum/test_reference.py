"""The ideal reference, simulated a group of circuits at a time, against Qiskit's own `Statevector`."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Statevector

from quantum.circuits import LatticeEdge, bell, lattice
from quantum.reference import ideal_states
from quantum.templates import group, shape

GATES = sorted(
    name
    for name, gate in get_standard_gate_name_mapping().items()
    if name not in {"measure", "reset", "delay", "barrier"} and gate.num_qubits <= 4
)


def with_gate(name: str, params: np.ndarray) -> QuantumCircuit:
    """Four qubits spread out by rotations, then the gate on its qubits in reverse order."""
    gate = get_standard_gate_name_mapping()[name]
    circuit = QuantumCircuit(4)
    for qubit in range(4):
        circuit.rx(0.3 + 0.4 * qubit + params.sum(), qubit)
        circuit.rz(1.1 * qubit - params.sum(), qubit)
    bound = type(gate)(*params) if len(params) else gate
    circuit.append(bound, list(range(gate.num_qubits))[::-1])
    return circuit


@pytest.mark.parametrize("name", GATES)
def test_every_standard_gate_with_its_own_angles_in_each_circuit(name: str) -> None:
    rng = np.random.default_rng(len(name))
    count = len(get_standard_gate_name_mapping()[name].params)
    circuits = [with_gate(name, rng.uniform(-4.0, 4.0, size=count)) for _ in range(3)]
    (one_group,) = group([(shape(circuit), 1) for circuit in circuits])
    states = ideal_states(one_group)
    assert states.shape == (3, 16)
    for state, circuit in zip(states, circuits, strict=True):
        assert Statevector(state).equiv(Statevector(circuit))


def test_lattice_circuits_of_one_lattice_are_one_group_with_exact_states() -> None:
    rng = np.random.default_rng(5)
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    circuits = [
        lattice(rng.random(4).tolist(), [LatticeEdge(a, b, int(rng.integers(1, 9))) for a, b in edges])
        for _ in range(20)
    ]
    (one_group,) = group([(shape(circuit), 512) for circuit in circuits])
    for state, circuit in zip(ideal_states(one_group), circuits, strict=True):
        assert np.allclose(state, Statevector(circuit).data, atol=1e-12)


def test_identical_circuits_share_one_state() -> None:
    (one_group,) = group([(shape(bell()), 10)] * 3)
    states = ideal_states(one_group)
    assert np.allclose(states, np.array([1, 0, 0, 1]) / np.sqrt(2))


def test_many_wide_circuits_are_simulated_in_chunks_with_the_same_result() -> None:
    # 2²⁰ amplitudes per chunk: 64 rows of 14 qubits, so 70 rows take two chunks.
    circuits = []
    for angle in np.linspace(0.0, np.pi, 70):
        circuit = QuantumCircuit(14)
        circuit.ry(angle, 0)
        for qubit in range(1, 14):
            circuit.cx(qubit - 1, qubit)
        circuits.append(circuit)
    (one_group,) = group([(shape(circuit), 1) for circuit in circuits])
    states = ideal_states(one_group)
    for row in (0, 63, 64, 69):
        assert Statevector(states[row]).equiv(Statevector(circuits[row]))
