"""Circuits split into a shape (a parametrised template) and the numbers that fill it.

Circuits that differ only in their rotation angles, like two lattice circuits
of the same lattice with different scores, share one template. A backend
transpiles each template once and runs all circuits of that shape as one PUB
with one row of parameter values per circuit, which is what makes a batch of
many circuits cheap.

A circuit travels to a pool worker as a `Shaped`: its shape key (plain
tuples) and its values. That pickles in microseconds where a
`QuantumCircuit` takes a few hundred, and the worker rebuilds the template
from the key alone, once per shape.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit import Barrier, ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping

_STANDARD_GATES = get_standard_gate_name_mapping()

Compiled = TypeVar("Compiled")

ShapeKey = tuple[Any, ...]
"""(number of qubits, (gate name, qubit indices, number of parameters), …) in circuit order."""


@dataclass(frozen=True)
class Template:
    """A circuit's shape: its gates and qubits, every numeric gate parameter replaced by θ[k]."""

    key: ShapeKey
    circuit: QuantumCircuit
    parameters: ParameterVector


@dataclass(frozen=True)
class Shaped:
    """A circuit as its shape key and the parameter values that fill the template."""

    key: ShapeKey
    values: tuple[float, ...]  # a tuple pickles faster than a small ndarray

    @property
    def num_qubits(self) -> int:
        """How many qubits the circuit has."""
        return int(self.key[0])


@dataclass
class Group:
    """Circuits of one template run with the same shots: one PUB, one row of values per circuit."""

    template: Template
    shots: int
    values: list[tuple[float, ...]] = field(default_factory=list)
    members: list[int] = field(default_factory=list)

    def value_rows(self) -> NDArray[np.float64]:
        """The parameter values as an array of shape (circuits, parameters)."""
        return np.array(self.values, dtype=np.float64).reshape(len(self.values), len(self.template.parameters))


def shape(circuit: QuantumCircuit) -> Shaped:
    """A circuit without measurements as its shape key and parameter values.

    Only Qiskit's standard gates and barriers may occur: a custom gate's
    definition is fixed when it is built, so its parameters cannot be
    replaced, and two custom gates of the same name may differ in body.
    `circuits.from_qasm` expands custom gates for this reason.

    Raises `ValueError` for any other operation, or a gate parameter that is
    not a number (an unbound `Parameter`), since such a circuit has no
    values to bind.
    """
    key: list[Hashable] = [circuit.num_qubits]
    values: list[float] = []
    index = {qubit: position for position, qubit in enumerate(circuit.qubits)}.__getitem__
    for instruction in circuit.data:
        # `name` and `params` are read without building a Python gate object, which costs far more.
        if not (instruction.is_standard_gate() or isinstance(instruction.operation, Barrier)):
            raise ValueError(f"'{instruction.name}' is not a standard gate; expand it into standard gates first")
        params = instruction.params
        for param in params:
            # A standard gate keeps every bound angle as a float; anything else is an unbound parameter.
            if type(param) is not float:
                raise ValueError(f"'{instruction.name}' has a parameter {param!r} that is not a number")
        key.append((instruction.name, tuple(map(index, instruction.qubits)), len(params)))
        values += params
    return Shaped(_canonical(tuple(key)), tuple(values))


@lru_cache(maxsize=1024)
def _canonical(key: ShapeKey) -> ShapeKey:
    """The first-seen object equal to `key`: circuits of one shape share it, so a batch pickles it once."""
    return key


@lru_cache(maxsize=256)
def template(key: ShapeKey) -> Template:
    """The template a shape key describes, built once per key and process."""
    num_qubits, *steps = key
    parameters = ParameterVector("θ", sum(count for _, _, count in steps))
    circuit = QuantumCircuit(num_qubits)
    position = 0
    for name, qubits, count in steps:
        if name == "barrier":
            circuit.barrier(*qubits)
            continue
        gate = _STANDARD_GATES[name]
        if count:
            gate = gate.copy()
            gate.params = list(parameters[position : position + count])
            position += count
        circuit.append(gate, qubits)
    return Template(key=key, circuit=circuit, parameters=parameters)


def group(batch: Sequence[tuple[Shaped, int]]) -> list[Group]:
    """(circuit, shots) pairs grouped by template and shots, each group remembering its positions."""
    groups: dict[tuple[ShapeKey, int], Group] = {}
    for position, (shaped, shots) in enumerate(batch):
        entry = groups.get((shaped.key, shots))
        if entry is None:
            entry = groups[(shaped.key, shots)] = Group(template=template(shaped.key), shots=shots)
        entry.values.append(shaped.values)
        entry.members.append(position)
    return list(groups.values())


class CompiledTemplates(Generic[Compiled]):
    """Templates compiled once per shape (transpiled for one backend), least recently used evicted.

    Thread-safe: the pool runs backend jobs in worker threads.
    """

    def __init__(self, compile_template: Callable[[QuantumCircuit], Compiled], capacity: int = 256) -> None:
        self._compile = compile_template
        self._capacity = capacity
        self._compiled: OrderedDict[Hashable, Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, template: Template) -> Compiled:
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
