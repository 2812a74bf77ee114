"""Fake IBM devices cut down to the few qubits a circuit uses, with their noise models.

A fake device from `qiskit_ibm_runtime.fake_provider` describes every qubit
of a real IBM processor (156 on Fez). Building Aer's noise model for all of
them takes seconds, so a small circuit instead runs on a *region*: a
connected set of n physical qubits with the lowest errors, relabelled 0…n−1,
carrying exactly the calibration data (gate errors and durations, readout
errors, T1/T2) of those qubits and the couplers between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from qiskit.circuit import Gate, Measure
from qiskit.transpiler import InstructionProperties, Target
from qiskit_aer.noise import NoiseModel
from qiskit_aer.noise.device import basic_device_gate_errors, basic_device_readout_errors
from qiskit_ibm_runtime import fake_provider
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

from quantum.errors import QuantumError


class UnknownDevice(QuantumError, ValueError):
    """No fake IBM device has this name (or none of its regions fits the circuit)."""

    default_code = "unknown_device"


@dataclass(frozen=True)
class Region:
    """n connected physical qubits of a device, as an n-qubit target and its noise model."""

    device: str
    physical_qubits: tuple[int, ...]
    target: Target
    noise_model: NoiseModel


@cache
def device_names() -> dict[str, str]:
    """Fake device names (``fake_fez``) mapped to their class names in `fake_provider`."""
    names: dict[str, str] = {}
    for attribute in dir(fake_provider):
        cls = getattr(fake_provider, attribute)
        if isinstance(cls, type) and issubclass(cls, FakeBackendV2) and cls is not FakeBackendV2:
            # Class names follow the device name: FakeManilaV2 is fake_manila, FakeFez is fake_fez.
            stem = re.sub(r"V2$", "", attribute.removeprefix("Fake"))
            names["fake_" + re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()] = attribute
    return names


@cache
def fake_device(name: str) -> FakeBackendV2:
    """The fake IBM device called `name` (e.g. ``fake_fez``), loaded once per process."""
    attribute = device_names().get(name)
    if attribute is None:
        raise UnknownDevice(detail=f"no fake IBM device named {name!r}")
    return getattr(fake_provider, attribute)()


@cache
def region(name: str, num_qubits: int) -> Region:
    """The best connected `num_qubits`-qubit region of a fake device, with its noise model.

    Grown greedily from the qubit with the lowest readout error, each step
    adding the neighbour reachable over the lowest-error two-qubit gate, so
    the region is connected and every circuit can be routed inside it.
    """
    device = fake_device(name)
    if num_qubits > device.num_qubits:
        raise UnknownDevice(detail=f"{name} has {device.num_qubits} qubits, the circuit needs {num_qubits}")
    target = device.target
    couplers = _coupler_errors(target)
    readout = {q: _error(target, "measure", (q,)) for q in range(target.num_qubits)}
    chosen = [min(readout, key=readout.__getitem__)]
    while len(chosen) < num_qubits:
        frontier: dict[int, float] = {}
        for (a, b), error in couplers.items():
            if (a in chosen) != (b in chosen):
                outside = b if a in chosen else a
                frontier[outside] = min(error, frontier.get(outside, error))
        if not frontier:
            raise UnknownDevice(detail=f"{name} has no connected region of {num_qubits} qubits")
        chosen.append(min(frontier, key=lambda q: frontier[q] + readout[q]))
    physical = tuple(chosen)
    small = _restrict(target, physical)
    return Region(device=name, physical_qubits=physical, target=small, noise_model=_noise_model(small))


def _error(target: Target, operation: str, qubits: tuple[int, ...]) -> float:
    properties = target[operation].get(qubits)
    return properties.error if properties is not None and properties.error is not None else 0.0


def _coupler_errors(target: Target) -> dict[tuple[int, int], float]:
    """Error of the two-qubit gate on each coupled pair (the best gate where a pair has several)."""
    errors: dict[tuple[int, int], float] = {}
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        if not isinstance(operation, Gate) or operation.num_qubits != 2:
            continue
        for qubits, properties in target[name].items():
            error = properties.error if properties is not None and properties.error is not None else 0.0
            pair = (min(qubits), max(qubits))
            errors[pair] = min(error, errors.get(pair, error))
    return errors


def _restrict(target: Target, physical: tuple[int, ...]) -> Target:
    """A target on len(physical) qubits: physical[i] becomes qubit i, other qubits vanish."""
    index = {q: i for i, q in enumerate(physical)}
    qubit_properties = [target.qubit_properties[q] for q in physical] if target.qubit_properties else None
    small = Target(num_qubits=len(physical), dt=target.dt, qubit_properties=qubit_properties)
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        # Control flow and other qubit-agnostic entries never occur in the circuits we run.
        if not isinstance(operation, (Gate, Measure)):
            continue
        kept: dict[tuple[int, ...], InstructionProperties | None] = {}
        for qubits, properties in target[name].items():
            if qubits is not None and all(q in index for q in qubits):
                kept[tuple(index[q] for q in qubits)] = properties
        if kept:
            small.add_instruction(operation, kept, name=name)
    return small


def _noise_model(target: Target) -> NoiseModel:
    """Aer's basic device noise (depolarising + thermal relaxation, readout) for a target."""
    model = NoiseModel(basis_gates=[name for name in target.operation_names if name != "measure"])
    for qubits, error in basic_device_readout_errors(target=target):
        model.add_readout_error(error, qubits)
    for name, qubits, error in basic_device_gate_errors(target=target):
        model.add_quantum_error(error, name, qubits)
    return model
