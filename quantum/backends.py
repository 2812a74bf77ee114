"""Where circuits run: ideal Aer, Aer with a fake IBM device's noise, IBM Quantum Runtime.

A backend runs a whole batch of circuits as one job: every group of circuits
sharing a template is compiled once (cached per shape), and each circuit
becomes one PUB of a SamplerV2 job (IBM) or one row of parameter values of
its compiled template in an Aer run. Names:

- ``aer``: the ideal `AerSimulator`, which computes each circuit's exact
  outcome probabilities; the shots are drawn from them.
- ``aer:<fake device>``, e.g. ``aer:fake_fez``: Aer with the noise of the
  device's best connected region of as many qubits as the circuit has
  (`quantum.devices`), so a 6-qubit run costs milliseconds; Aer samples
  the shots (one run per distinct shot count).
- ``ibm:<backend>`` or ``ibm:least_busy``: Qiskit Runtime `SamplerV2` in
  `Batch` mode, with the token from ``AURA_IBM_QUANTUM_TOKEN``.
  ``ibm:<fake device>`` runs the same SDK code path in qiskit-ibm-runtime's
  local testing mode (a `Batch` on the fake device, simulated locally).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression, ParameterVectorElement
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import PassManager, Target, generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch, QiskitRuntimeService, SamplerV2

from aura import excerpt
from aura.settings import get_settings
from quantum.devices import UnknownDevice, device_names, fake_device, region
from quantum.errors import QuantumError
from quantum.templates import CompiledTemplates, Group

log = logging.getLogger(__name__)

DEFAULT_IBM_TIMEOUT_S: Final[float] = 600.0
_POLL_S: Final[float] = 0.05
_NAME = re.compile(r"^(aer)(?::([a-z0-9_]+))?$|^(ibm):([A-Za-z0-9_\-]+)$")


class BackendError(QuantumError, RuntimeError):
    """A backend could not run a job; `code` is machine-readable, `detail` says why.

    Reasons are Aura's own words: what an SDK or simulator said goes to the
    log, never into a reason, since reasons reach callers.
    """


@dataclass(frozen=True)
class JobResult:
    """What one backend job returned: per group, the counts of each of its circuits."""

    job_id: str
    backend_used: str
    counts: list[list[dict[str, int]]]
    execution_ms: float
    fallback_reason: str | None = None


class Backend(ABC):
    """Runs batches of circuit groups as single jobs; safe to call from several threads."""

    name: str

    @abstractmethod
    def run(self, groups: Sequence[Group]) -> JobResult:
        """Run every circuit of every group in one job; counts come back in group order."""


def validate_name(name: str) -> None:
    """Check a backend name without connecting to anything; raise `BackendError` ``unknown_backend``."""
    match = _NAME.match(name)
    if match is None:
        raise BackendError("unknown_backend", f"'{excerpt(name)}' is not 'aer', 'aer:<fake device>' or 'ibm:<backend>'")
    device = match.group(2)
    if device is not None and device not in device_names():
        raise BackendError("unknown_backend", f"'{excerpt(device)}' is not a fake IBM device (e.g. fake_fez)")


@cache
def backend(name: str, fallback: str | None = None) -> Backend:
    """The backend called `name`, one per process; `fallback` runs the job if it fails.

    A fallback is explicit and flagged: its results name it in `backend_used`
    and say in `fallback_reason` why the primary failed.
    """
    validate_name(name)
    if fallback is not None:
        validate_name(fallback)
        return FallbackBackend(backend(name), backend(fallback))
    kind, _, device = name.partition(":")
    if kind == "aer":
        return AerBackend() if not device else NoisyAerBackend(device)
    return IBMRuntimeBackend(device, timeout_s=_ibm_timeout_s())


def _ibm_timeout_s() -> float:
    """How long an IBM Runtime job may take (`AURA_QUANTUM_IBM_TIMEOUT_S`)."""
    return get_settings().quantum.ibm_timeout_s


def _pubs(
    groups: Sequence[Group], compiled: CompiledTemplates[QuantumCircuit]
) -> list[tuple[QuantumCircuit, Any, int]]:
    """One PUB per circuit: its group's compiled template and the circuit's parameter values."""
    pubs: list[tuple[QuantumCircuit, Any, int]] = []
    for group in groups:
        circuit = compiled.get(group.template)
        for row in group.value_rows():
            pubs.append((circuit, row if group.template.parameters else None, group.shots))
    return pubs


def _split_counts(groups: Sequence[Group], flat: Sequence[dict[str, int]]) -> list[list[dict[str, int]]]:
    """Per-circuit counts in PUB order, regrouped as one list per group."""
    counts: list[list[dict[str, int]]] = []
    position = 0
    for group in groups:
        counts.append(list(flat[position : position + len(group.members)]))
        position += len(group.members)
    return counts


def _measuring(pass_manager: PassManager) -> Callable[[QuantumCircuit], QuantumCircuit]:
    """Compile a template into a circuit that measures every qubit k into classical bit k."""

    def compile_template(template: QuantumCircuit) -> QuantumCircuit:
        measured = template.copy()
        measured.measure_all(add_bits=True)
        return pass_manager.run(measured)

    return compile_template


# Aer binds parameters at run time (`parameter_binds`) into these gates wrongly: they stay as if
# every angle were 0 (qiskit-aer 0.18). Templates for Aer are compiled into gates without them.
_AER_UNBINDABLE: Final[frozenset[str]] = frozenset({"cp", "crx", "cry", "crz", "cu", "cu1", "cu3"})


@dataclass(frozen=True)
class _AerTemplate:
    """A template compiled for Aer, its gate angles plain parameters that are affine in the template's values.

    The transpiler writes angles as expressions of the template's parameters
    (θ/2, −θ/2 + π, …), and Aer evaluates every expression once per row in
    Python. Affine ones are replaced here by parameters of their own, so the
    angles of a whole group are one matrix product.
    """

    circuit: QuantumCircuit
    angles: tuple[Parameter, ...]
    slopes: NDArray[np.float64]  # (template parameters, angles)
    intercepts: NDArray[np.float64]  # (angles,)
    left: tuple[ParameterVectorElement, ...]  # template parameters inside expressions Aer evaluates itself

    def bindings(self, rows: NDArray[np.float64]) -> dict[Parameter, NDArray[np.float64]]:
        """Every parameter of the circuit and its value in each row of template values."""
        values = rows @ self.slopes + self.intercepts
        columns: dict[Parameter, NDArray[np.float64]] = dict(zip(self.angles, values.T, strict=True))
        for parameter in self.left:
            columns[parameter] = rows[:, parameter.index]
        return columns


def _for_aer(compile_template: Callable[[QuantumCircuit], QuantumCircuit]) -> Callable[[QuantumCircuit], _AerTemplate]:
    """`compile_template` followed by `_aer_template`."""
    return lambda template: _aer_template(compile_template(template), template.num_parameters)


def _aer_template(compiled: QuantumCircuit, num_parameters: int) -> _AerTemplate:
    """`compiled` with its affine angles as parameters of their own (and the global phase, which no outcome sees, 0).

    `compiled` comes from a template with `num_parameters` parameters θ[k].
    """
    wrong = {i.name for i in compiled.data if i.name in _AER_UNBINDABLE and i.is_parameterized()}
    if wrong:
        raise BackendError("unsupported_circuit", f"compiled into {sorted(wrong)}, which Aer binds wrongly")
    rewritten = compiled.copy_empty_like()
    rewritten.global_phase = 0.0
    angles: list[Parameter] = []
    slopes: list[NDArray[np.float64]] = []
    intercepts: list[float] = []
    for instruction in compiled.data:
        if not instruction.is_parameterized():
            rewritten.append(instruction)
            continue
        params = []
        for param in instruction.params:
            # An angle is affine in the template's values when every partial derivative is a number.
            symbolic = isinstance(param, ParameterExpression)
            gradients = {p: param.gradient(p) for p in param.parameters} if symbolic else {}
            if gradients and all(isinstance(g, float | int) for g in gradients.values()):
                slope = np.zeros(num_parameters)
                for parameter, gradient in gradients.items():
                    slope[parameter.index] = gradient
                angle = Parameter(f"φ{len(angles)}")
                angles.append(angle)
                slopes.append(slope)
                intercepts.append(float(param.bind(dict.fromkeys(param.parameters, 0.0))))
                params.append(angle)
            else:
                params.append(param)
        operation = instruction.operation.copy()
        operation.params = params
        rewritten.append(operation, instruction.qubits, instruction.clbits)
    left = tuple(p for p in rewritten.parameters if p not in angles)
    return _AerTemplate(
        rewritten, tuple(angles), np.array(slopes).reshape(len(angles), num_parameters).T, np.array(intercepts), left
    )


def _aer_experiments(compiled: _AerTemplate, group: Group) -> tuple[list[QuantumCircuit], list[dict[Any, list[float]]]]:
    """The circuits and parameter binds that run every member of a group in one Aer run, in member order.

    Many circuits of one shape are one compiled template with a row of values
    each, bound by Aer at run time: one circuit to convert, not hundreds. A
    lone circuit is bound here, which costs less than Aer's binding for one row.
    """
    rows = group.value_rows()
    if not compiled.circuit.parameters:
        return [compiled.circuit] * len(rows), [{} for _ in rows]
    columns = compiled.bindings(rows)
    if len(rows) == 1:
        return [compiled.circuit.assign_parameters({p: float(v[0]) for p, v in columns.items()})], [{}]
    return [compiled.circuit], [{p: v.tolist() for p, v in columns.items()}]


def _run_aer(
    simulator: AerSimulator, circuits: list[QuantumCircuit], binds: list[dict[Any, list[float]]], shots: int
) -> tuple[str, list[Any]]:
    """One Aer run; its job id and its experiments, circuit by circuit and each circuit's rows in order."""
    bound_at_run_time = any(binds)
    job = simulator.run(
        circuits,
        shots=shots,
        parameter_binds=binds if bound_at_run_time else None,
        runtime_parameter_bind_enable=bound_at_run_time,
    )
    result = job.result()
    if not result.success:
        log.error("aer run failed", extra={"job_id": job.job_id(), "status": str(result.status)})
        raise BackendError("aer_failed", "the Aer simulation failed; the error is logged")
    return job.job_id(), result.results


def _count_key(num_qubits: int) -> Callable[[int], str]:
    """The count key of outcome x: n bits, qubit 0 rightmost (looked up for small n, where it repeats most)."""
    if num_qubits <= 12:
        return _bit_strings(num_qubits).__getitem__
    return lambda x: format(x, f"0{num_qubits}b")


@cache
def _bit_strings(num_qubits: int) -> tuple[str, ...]:
    return tuple(format(x, f"0{num_qubits}b") for x in range(1 << num_qubits))


def _bit_string_counts(hex_counts: dict[str, int], num_qubits: int) -> dict[str, int]:
    """Aer's raw counts (``0x…`` keys) as Qiskit bit-string keys, qubit 0 rightmost."""
    key = _count_key(num_qubits)
    return {key(int(raw, 16)): count for raw, count in hex_counts.items()}


class AerBackend(Backend):
    """``aer``: the ideal, noise-free AerSimulator, its shots drawn from the exact outcome probabilities.

    Aer simulates every circuit of the batch in one run to its exact outcome
    probabilities (`save_probabilities`); each circuit's shots are then one
    multinomial draw from them. That is the distribution Aer's own sampling
    of a final measurement has, but Aer formats every shot as a string and
    tallies it, which for 512 shots of a small circuit costs several times
    the simulation itself.
    """

    def __init__(self) -> None:
        self.name = "aer"
        # One OpenMP thread per job: the pool runs jobs on every core already, and
        # spinning threads on a shared machine made small jobs several times slower.
        self._simulator = AerSimulator(method="statevector", max_parallel_threads=1)
        basis = [
            name
            for name in get_standard_gate_name_mapping()
            if name in self._simulator.configuration().basis_gates and name not in _AER_UNBINDABLE
        ]
        # Without a coupling map nothing is laid out or routed: qubit k stays qubit k.
        pass_manager = generate_preset_pass_manager(optimization_level=1, basis_gates=basis)

        def saving_probabilities(template: QuantumCircuit) -> QuantumCircuit:
            compiled = pass_manager.run(template)
            compiled.save_probabilities()
            return compiled

        self._compiled = CompiledTemplates(_for_aer(saving_probabilities))
        self._random = np.random.default_rng()
        self._random_lock = threading.Lock()

    def run(self, groups: Sequence[Group]) -> JobResult:
        started = time.perf_counter()
        circuits: list[QuantumCircuit] = []
        binds: list[dict[Any, list[float]]] = []
        for group in groups:
            more_circuits, more_binds = _aer_experiments(self._compiled.get(group.template), group)
            circuits += more_circuits
            binds += more_binds
        # Shots play no part in the simulation, so one run serves groups of every shot count.
        job_id, experiments = _run_aer(self._simulator, circuits, binds, shots=1)
        counts: list[list[dict[str, int]]] = []
        position = 0
        for group in groups:
            num_qubits = group.template.circuit.num_qubits
            size = len(group.members)
            probabilities = np.array([e.data.probabilities for e in experiments[position : position + size]])
            position += size
            with self._random_lock:  # a Generator is not thread-safe; jobs may share this backend
                drawn = self._random.multinomial(group.shots, probabilities / probabilities.sum(axis=1, keepdims=True))
            key = _count_key(num_qubits)
            counts.append([{key(x): int(row[x]) for x in np.flatnonzero(row).tolist()} for row in drawn])
        elapsed = (time.perf_counter() - started) * 1000.0
        return JobResult(job_id=job_id, backend_used=self.name, counts=counts, execution_ms=elapsed)


class NoisyAerBackend(Backend):
    """``aer:<fake device>``: Aer with the noise of the device region the circuit's size needs.

    Every circuit of the batch runs in one Aer run per region and shot count,
    Aer sampling the shots with the device's noise (readout errors included).
    """

    def __init__(self, device: str) -> None:
        self.name = f"aer:{device}"
        self._device = device
        self._lock = threading.Lock()
        self._regions: dict[int, tuple[AerSimulator, CompiledTemplates[_AerTemplate]]] = {}

    def _region(self, num_qubits: int) -> tuple[AerSimulator, CompiledTemplates[_AerTemplate]]:
        with self._lock:
            if num_qubits not in self._regions:
                try:
                    area = region(self._device, num_qubits)
                except UnknownDevice as error:
                    raise BackendError("circuit_too_large", str(error)) from error
                # Aer fuses gates (with their noise, as superoperators) only from 14 qubits up by
                # default; fusing in a small region too halves the time a noisy circuit takes.
                simulator = AerSimulator(noise_model=area.noise_model, max_parallel_threads=1, fusion_threshold=1)
                pass_manager = generate_preset_pass_manager(optimization_level=1, target=area.target)
                self._regions[num_qubits] = (simulator, CompiledTemplates(_for_aer(_measuring(pass_manager))))
            return self._regions[num_qubits]

    def run(self, groups: Sequence[Group]) -> JobResult:
        # Each region has its own noise model and Aer takes one shot count per run, so circuits of
        # different sizes or shots need separate Aer runs.
        runs: dict[tuple[int, int], list[int]] = {}
        for index, group in enumerate(groups):
            runs.setdefault((group.template.circuit.num_qubits, group.shots), []).append(index)
        counts: list[list[dict[str, int]]] = [[] for _ in groups]
        job_ids: list[str] = []
        started = time.perf_counter()
        for (size, shots), indices in runs.items():
            simulator, compiled = self._region(size)
            circuits: list[QuantumCircuit] = []
            binds: list[dict[Any, list[float]]] = []
            for index in indices:
                more_circuits, more_binds = _aer_experiments(compiled.get(groups[index].template), groups[index])
                circuits += more_circuits
                binds += more_binds
            job_id, experiments = _run_aer(simulator, circuits, binds, shots)
            remaining = iter(experiments)
            for index in indices:
                counts[index] = [_bit_string_counts(next(remaining).data.counts, size) for _ in groups[index].members]
            job_ids.append(job_id)
        elapsed = (time.perf_counter() - started) * 1000.0
        return JobResult(job_id=",".join(job_ids), backend_used=self.name, counts=counts, execution_ms=elapsed)


class IBMRuntimeBackend(Backend):
    """``ibm:<backend>``: Qiskit Runtime SamplerV2 in Batch mode, or its local testing mode on a fake device."""

    def __init__(self, device: str, timeout_s: float = DEFAULT_IBM_TIMEOUT_S) -> None:
        self.name = f"ibm:{device}"
        self._device_name = device
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._batch: Any = None
        self._compiled: CompiledTemplates[QuantumCircuit] | None = None
        self._resolved = ""

    def _open(self) -> tuple[Any, CompiledTemplates[QuantumCircuit]]:
        """The open Batch and the transpilation cache for its device, opening them on first use."""
        with self._lock:
            if self._batch is None:
                device = self._resolve()
                target: Target = device.target
                self._compiled = CompiledTemplates(
                    _measuring(generate_preset_pass_manager(optimization_level=1, target=target))
                )
                self._batch = Batch(backend=device)
                self._resolved = device.name
            assert self._compiled is not None
            return self._batch, self._compiled

    def _resolve(self) -> Any:
        if self._device_name in device_names():
            return fake_device(self._device_name)
        token = get_settings().quantum.ibm_token
        if token is None or not token.get_secret_value():
            raise BackendError("ibm_not_configured", "no IBM Quantum token: set AURA_IBM_QUANTUM_TOKEN")
        try:
            service = QiskitRuntimeService(channel="ibm_quantum_platform", token=token.get_secret_value())
            if self._device_name == "least_busy":
                return service.least_busy(operational=True, simulator=False)
            return service.backend(self._device_name)
        except Exception as error:  # the SDK raises many types; all mean the same to the caller
            log.exception("IBM Quantum backend unavailable", extra={"device": self._device_name})
            reason = "IBM Quantum could not provide the backend; the error is logged"
            raise BackendError("ibm_unavailable", reason) from error

    def _close(self) -> None:
        """Forget the Batch so the next job opens a fresh one (after a failure it may be closed)."""
        with self._lock:
            batch, self._batch = self._batch, None
        if batch is not None:
            try:
                batch.close()
            except Exception:  # closing is best effort; a dead batch is being discarded anyway
                pass

    def run(self, groups: Sequence[Group]) -> JobResult:
        batch, compiled = self._open()
        started = time.perf_counter()
        try:
            pubs = _pubs(groups, compiled)
            job = SamplerV2(mode=batch).run(pubs)
        except Exception as error:
            self._close()
            log.exception("IBM Quantum job not submitted", extra={"backend": self.name})
            reason = "IBM Quantum did not accept the job; the error is logged"
            raise BackendError("ibm_submit_failed", reason) from error
        deadline = started + self._timeout_s
        while not job.done():
            if time.perf_counter() > deadline:
                timeout = BackendError("ibm_timeout", f"the IBM Quantum job was not done after {self._timeout_s:g} s")
                try:
                    job.cancel()
                except Exception as error:  # the timeout is the failure to report; cancelling is best effort
                    log.exception("IBM Quantum job not cancelled", extra={"backend": self.name, "job_id": job.job_id()})
                    raise timeout from error
                raise timeout
            time.sleep(_POLL_S)
        try:
            result = job.result()
        except Exception as error:
            self._close()
            log.exception("IBM Quantum job failed", extra={"backend": self.name, "job_id": job.job_id()})
            raise BackendError("ibm_job_failed", "the IBM Quantum job failed; the error is logged") from error
        elapsed = (time.perf_counter() - started) * 1000.0
        flat = [pub_result.data.meas.get_counts() for pub_result in result]
        return JobResult(
            job_id=job.job_id(),
            backend_used=f"ibm:{self._resolved}",
            counts=_split_counts(groups, flat),
            execution_ms=elapsed,
        )


class FallbackBackend(Backend):
    """A primary backend whose failed jobs are rerun on an explicit fallback, flagged as such."""

    def __init__(self, primary: Backend, fallback: Backend) -> None:
        self.name = f"{primary.name}|{fallback.name}"
        self._primary = primary
        self._fallback = fallback

    def run(self, groups: Sequence[Group]) -> JobResult:
        try:
            return self._primary.run(groups)
        except BackendError as error:
            result = self._fallback.run(groups)
            return replace(
                result,
                backend_used=f"{result.backend_used} (fallback for {self._primary.name})",
                fallback_reason=error.detail,
            )
