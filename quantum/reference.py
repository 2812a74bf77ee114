"""The ideal reference: exact, noise-free final statevectors of a group of circuits, all at once.

A group's circuits share one template and differ only in their angles, so
the reference simulates them together: the states are one array of shape
(circuits, 2ⁿ) and each gate is applied to every row in one NumPy
contraction, with one matrix per row where the angles differ. For six
qubits that costs microseconds per circuit, where a simulator job per
circuit (or even per group) costs milliseconds.

Gate matrices come from Qiskit's own gate definitions (`Gate.to_matrix`), so
conventions (qubit order, phases) are Qiskit's. The global phase is left
out: no metric depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray
from qiskit.circuit import Gate
from qiskit.circuit.library import get_standard_gate_name_mapping

from quantum.templates import Group, ShapeKey

_STANDARD_GATES = get_standard_gate_name_mapping()
# Rows are simulated in chunks of at most this many amplitudes, so 20 qubits never need gigabytes.
_CHUNK_AMPLITUDES: Final[int] = 1 << 20
_LETTERS: Final[str] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ideal_states(group: Group) -> NDArray[np.complex128]:
    """The ideal final state of each circuit in the group, in the group's order: shape (circuits, 2ⁿ).

    Amplitude index x has qubit k's value in bit k, as in Qiskit's `Statevector`.
    """
    rows = group.value_rows()
    num_qubits = group.template.circuit.num_qubits
    steps = _program(group.template.key)
    chunk = max(1, _CHUNK_AMPLITUDES >> num_qubits)
    parts = [_simulate(steps, num_qubits, rows[start : start + chunk]) for start in range(0, len(rows), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, 1 << num_qubits), dtype=np.complex128)


@dataclass(frozen=True)
class _Step:
    """One gate of a template: how to get its matrix for each row, and the contraction that applies it."""

    gate: Gate
    first: int
    count: int
    subscripts: str
    fixed: NDArray[np.complex128] | None
    angle_form: tuple[float, NDArray[np.complex128], NDArray[np.complex128], NDArray[np.complex128]] | None

    def matrices(self, rows: NDArray[np.float64]) -> NDArray[np.complex128]:
        """The gate's matrix for every row, shape (rows, 2ᵏ, 2ᵏ), or (1, 2ᵏ, 2ᵏ) when all rows share it."""
        if self.fixed is not None:
            return self.fixed[None]
        params = rows[:, self.first : self.first + self.count]
        if self.angle_form is not None:
            scale, constant, cosine, sine = self.angle_form
            angle = params[:, 0, None, None] * scale
            return constant + np.cos(angle) * cosine + np.sin(angle) * sine
        if bool(np.all(params == params[:1])):
            return _matrix(self.gate, params[0])[None]
        return np.stack([_matrix(self.gate, row) for row in params])


@lru_cache(maxsize=256)
def _program(key: ShapeKey) -> tuple[_Step, ...]:
    """The steps that simulate a template, prepared once per shape."""
    num_qubits, *instructions = key
    steps = []
    position = 0
    for name, qubits, count in instructions:
        if name == "barrier":
            continue
        gate = _STANDARD_GATES[name]
        fixed = _matrix(gate, np.zeros(0)) if count == 0 else None
        steps.append(_Step(gate, position, count, _subscripts(num_qubits, qubits), fixed, _angle_form(gate, count)))
        position += count
    return tuple(steps)


def _matrix(gate: Gate, params: NDArray[np.float64]) -> NDArray[np.complex128]:
    """Qiskit's matrix of a standard gate with these parameter values."""
    if not len(params):
        return np.asarray(gate.to_matrix(), dtype=np.complex128)
    bound = gate.copy()
    bound.params = [float(value) for value in params]
    return np.asarray(bound.to_matrix(), dtype=np.complex128)


def _subscripts(num_qubits: int, qubits: tuple[int, ...]) -> str:
    """The einsum that applies a k-qubit matrix per row to states shaped (rows, 2, …, 2).

    State axis 1 + j holds qubit n − 1 − j (the most significant bit first);
    a matrix's row and column axes likewise hold its last qubit argument first.
    """
    state = _LETTERS[1 : 1 + num_qubits]
    axis = {qubit: num_qubits - 1 - qubit for qubit in range(num_qubits)}  # position in `state`
    outputs = _LETTERS[1 + num_qubits : 1 + num_qubits + len(qubits)]  # outputs[k]: argument k after the gate
    matrix_rows = "".join(reversed(outputs))
    matrix_columns = "".join(state[axis[qubit]] for qubit in reversed(qubits))
    result = list(state)
    for k, qubit in enumerate(qubits):
        result[axis[qubit]] = outputs[k]
    return f"a{matrix_rows}{matrix_columns},a{state}->a{''.join(result)}"


def _angle_form(gate: Gate, count: int) -> tuple[float, NDArray, NDArray, NDArray] | None:
    """(s, A, B, C) with matrix(θ) = A + cos(sθ)·B + sin(sθ)·C, if the gate has that form, else None.

    One-parameter standard gates are such trigonometric polynomials:
    rotations (rx, rzz, cry, …) in θ/2, phases (p, cp, …) in θ. The form is
    solved from the matrices at three angles and checked at a fourth, so a
    gate of any other form gets a matrix per row instead.
    """
    if count != 1:
        return None
    for scale in (0.5, 1.0):
        at_zero, at_quarter, at_half = (_matrix(gate, np.array([a / scale])) for a in (0.0, np.pi / 2, np.pi))
        constant = (at_zero + at_half) / 2
        cosine = (at_zero - at_half) / 2
        sine = at_quarter - constant
        probe = 0.7371
        expected = constant + np.cos(scale * probe) * cosine + np.sin(scale * probe) * sine
        if np.allclose(_matrix(gate, np.array([probe])), expected, rtol=0.0, atol=1e-12):
            return scale, constant, cosine, sine
    return None


def _simulate(steps: tuple[_Step, ...], num_qubits: int, rows: NDArray[np.float64]) -> NDArray[np.complex128]:
    states = np.zeros((len(rows), 1 << num_qubits), dtype=np.complex128)
    states[:, 0] = 1.0
    tensor = states.reshape((len(rows),) + (2,) * num_qubits)
    for step in steps:
        matrices = step.matrices(rows)
        k = matrices.shape[-1].bit_length() - 1
        shaped = np.broadcast_to(matrices, (len(rows),) + matrices.shape[1:]).reshape((len(rows),) + (2,) * (2 * k))
        tensor = np.einsum(step.subscripts, shaped, tensor)
    return tensor.reshape(len(rows), 1 << num_qubits)
