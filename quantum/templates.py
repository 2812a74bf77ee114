"""Circuits split into a shape (a parametrised template) and the numbers that fill it.

Circuits that differ only in their rotation angles, like two lattice circuits
of the same lattice with different scores, share one template. A backend
transpiles each template once and runs all circuits of that shape as one PUB
with one row of parameter values per circuit, which is what makes a batch of
many circuits cheap.
"""

from __future__ import annotations

import numbers
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit import Barrier, ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping

_STANDARD_GATES = {name: type(gate) for name, gate in get_standard_gate_name_mapping().items()}


@dataclass(frozen=True)
class Template:
    """A circuit's shape: its gates and qubits, every numeric gate parameter replaced by θ[k]."""

    key: Hashable
    circuit: QuantumCircuit
    parameters: ParameterVector


@dataclass
class Group:
    """Circuits of one template run with the same shots: one PUB, one row of values per circuit."""

    template: Template
    shots: int
    values: list[NDArray[np.float64]] = field(default_factory=list)
    members: list[int] = field(default_factory=list)

    def value_rows(self) -> NDArray[np.float64]:
        """The parameter values as an array of shape (circuits, parameters)."""
        return np.array(self.values, dtype=np.float64).reshape(len(self.values), len(self.template.parameters))


def templatize(circuit: QuantumCircuit) -> tuple[Template, NDArray[np.float64]]:
    """The template of a circuit without measurements, and the values that recover the circuit.

    Only standard-library gates and barriers may occur: a custom gate's
    definition is fixed when it is built, so its parameters cannot be
    replaced, and two custom gates of the same name may differ in body.
    `circuits.from_qasm` expands custom gates for this reason.

    Raises `ValueError` for any other operation, or a gate parameter that is
    not a real number (an unbound `Parameter`), since such a circuit has no
    values to bind.
    """
    key, values = _shape(circuit)
    return _template(circuit, key, len(values)), values


def _shape(circuit: QuantumCircuit) -> tuple[Hashable, NDArray[np.float64]]:
    """A circuit's template key and parameter values, without building the template."""
    shape: list[Hashable] = [circuit.num_qubits]
    values: list[float] = []
    index = {qubit: position for position, qubit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        operation = instruction.operation
        if not (isinstance(operation, Barrier) or _STANDARD_GATES.get(operation.name) is type(operation)):
            raise ValueError(f"'{operation.name}' is not a standard gate; expand it into standard gates first")
        for param in operation.params:
            if not isinstance(param, numbers.Real):
                raise ValueError(f"'{operation.name}' has a parameter {param!r} that is not a real number")
        qubits = tuple(index[qubit] for qubit in instruction.qubits)
        shape.append((operation.name, qubits, len(operation.params)))
        values.extend(float(param) for param in operation.params)
    return tuple(shape), np.array(values, dtype=np.float64)


def _template(circuit: QuantumCircuit, key: Hashable, num_parameters: int) -> Template:
    parameters = ParameterVector("θ", num_parameters)
    template = QuantumCircuit(circuit.num_qubits, name=circuit.name)
    position = 0
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [circuit.find_bit(qubit).index for qubit in instruction.qubits]
        if operation.params:
            operation = operation.copy()
            operation.params = list(parameters[position : position + len(operation.params)])
            position += len(operation.params)
        template.append(operation, qubits)
    return Template(key=key, circuit=template, parameters=parameters)


def group(batch: Sequence[tuple[QuantumCircuit, int]]) -> tuple[list[Group], dict[int, str]]:
    """(circuit, shots) pairs grouped by template and shots, each group remembering its positions.

    Circuits that cannot be templatized are left out and returned as
    position → reason, so one bad circuit never fails the rest of a batch.
    """
    groups: dict[tuple[Hashable, int], Group] = {}
    templates: dict[Hashable, Template] = {}
    rejected: dict[int, str] = {}
    for position, (circuit, shots) in enumerate(batch):
        try:
            key, values = _shape(circuit)
        except ValueError as error:
            rejected[position] = str(error)
            continue
        if key not in templates:
            templates[key] = _template(circuit, key, len(values))
        entry = groups.setdefault((key, shots), Group(template=templates[key], shots=shots))
        entry.values.append(values)
        entry.members.append(position)
    return list(groups.values()), rejected


class CompiledTemplates:
    """Templates compiled once per shape (transpiled for one backend), least recently used evicted.

    Thread-safe: the pool runs backend jobs in worker threads.
    """

    def __init__(self, compile_template: Callable[[QuantumCircuit], QuantumCircuit], capacity: int = 256) -> None:
        self._compile = compile_template
        self._capacity = capacity
        self._compiled: OrderedDict[Hashable, QuantumCircuit] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, template: Template) -> QuantumCircuit:
        """The compiled form of `template`, compiling it on first use."""
        with self._lock:
            if template.key in self._compiled:
                self._compiled.move_to_end(template.key)
                return self._compiled[template.key]
        compiled = self._compile(template.circuit)
        with self._lock:
            self._compiled[template.key] = compiled
            while len(self._compiled) > self._capacity:
                self._compiled.popitem(last=False)
        return compiled

    def __len__(self) -> int:
        return len(self._compiled)
