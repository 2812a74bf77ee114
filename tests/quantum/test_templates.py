"""Circuits as a shape and the numbers that fill it: what travels to a pool worker, and the template it rebuilds."""

from __future__ import annotations

import math

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter
from qiskit.quantum_info import Statevector

from quantum.circuits import bell
from quantum.templates import group, shape, template


def rotations(angle: float) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.ry(angle, 0)
    circuit.cry(angle / 2, 0, 1)
    return circuit


def test_circuits_that_differ_only_in_angles_share_one_shape() -> None:
    first, second = shape(rotations(0.4)), shape(rotations(1.2))
    assert first.key == second.key
    assert first.key is second.key  # one object, so a batch of them pickles the key once
    assert first.values == (0.4, 0.2)
    assert second.values == (1.2, 0.6)
    assert first.num_qubits == 2
    assert shape(bell()).key != first.key


def test_the_template_of_a_key_gives_back_the_circuit_with_its_values() -> None:
    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.barrier()
    circuit.cx(0, 2)
    circuit.u(0.3, 1.1, -0.7, 1)
    circuit.rzz(2.5, 2, 1)
    shaped = shape(circuit)
    rebuilt = template(shaped.key)
    assert rebuilt is template(shaped.key)
    assert len(rebuilt.parameters) == len(shaped.values) == 4
    assert Statevector(rebuilt.circuit.assign_parameters(shaped.values)).equiv(Statevector(circuit))


def test_group_gathers_circuits_by_shape_and_shots_and_remembers_where_they_were() -> None:
    batch = [
        (shape(rotations(0.1)), 100),
        (shape(bell()), 100),
        (shape(rotations(0.2)), 100),
        (shape(rotations(0.3)), 50),
    ]
    groups = group(batch)
    assert [(g.members, g.shots) for g in groups] == [([0, 2], 100), ([1], 100), ([3], 50)]
    assert groups[0].value_rows().tolist() == [[0.1, 0.05], [0.2, 0.1]]
    assert groups[1].value_rows().shape == (1, 0)


def test_what_has_no_template_is_refused() -> None:
    custom = QuantumCircuit(1)
    definition = QuantumCircuit(1)
    definition.h(0)
    mine = Gate("mine", 1, [])
    mine.definition = definition
    custom.append(mine, [0])
    with pytest.raises(ValueError, match="not a standard gate"):
        shape(custom)
    unbound = QuantumCircuit(1)
    unbound.rx(Parameter("t"), 0)
    with pytest.raises(ValueError, match="not a number"):
        shape(unbound)
    reset = QuantumCircuit(1)
    reset.reset(0)
    reset.rx(math.pi, 0)
    with pytest.raises(ValueError, match="'reset'"):
        shape(reset)
