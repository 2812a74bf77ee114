"""Where circuits run: ideal Aer, Aer with a fake IBM device's noise, IBM Quantum Runtime.

A backend runs a whole batch of circuits as one job: every group of circuits
sharing a template is compiled once (cached per shape), and each circuit
becomes one PUB of a SamplerV2 job (IBM) or one experiment of an Aer run
(one run per distinct shot count). Names:

- ``aer``: the ideal `AerSimulator`.
- ``aer:<fake device>``, e.g. ``aer:fake_fez``: Aer with the noise of the
  device's best connected region of as many qubits as the circuit has
  (`quantum.devices`), so a 6-qubit run costs milliseconds.
- ``ibm:<backend>`` or ``ibm:least_busy``: Qiskit Runtime `SamplerV2` in
  `Batch` mode, with the token from ``AURA_IBM_QUANTUM_TOKEN``.
  ``ibm:<fake device>`` runs the same SDK code path in qiskit-ibm-runtime's
  local testing mode (a `Batch` on the fake device, simulated locally).
"""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Final

from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, Target, generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime import Batch, QiskitRuntimeService, SamplerV2

from aura.settings import get_settings
from quantum.devices import UnknownDevice, device_names, fake_device, region
from quantum.errors import QuantumError
from quantum.templates import CompiledTemplates, Group

DEFAULT_IBM_TIMEOUT_S: Final[float] = 600.0
_POLL_S: Final[float] = 0.05
_NAME = re.compile(r"^(aer)(?::([a-z0-9_]+))?$|^(ibm):([A-Za-z0-9_\-]+)$")


class BackendError(QuantumError, RuntimeError):
    """A backend could not run a job; `code` is machine-readable, `reason` says why."""


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
        raise BackendError("unknown_backend", f"{name!r} is not 'aer', 'aer:<fake device>' or 'ibm:<backend>'")
    device = match.group(2)
    if device is not None and device not in device_names():
        raise BackendError("unknown_backend", f"{device!r} is not a fake IBM device (e.g. fake_fez)")


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
    kind, device = name.split(":", 1) if ":" in name else (name, None)
    if kind == "aer":
        return AerBackend() if device is None else NoisyAerBackend(device)
    return IBMRuntimeBackend(device, timeout_s=_ibm_timeout_s())


def _ibm_timeout_s() -> float:
    """How long an IBM Runtime job may take (`AURA_QUANTUM_IBM_TIMEOUT_S`)."""
    return get_settings().quantum_ibm_timeout_s


def _pubs(groups: Sequence[Group], compiled: CompiledTemplates, bind: bool) -> list[tuple[QuantumCircuit, Any, int]]:
    """One PUB per circuit: the compiled template with its values, bound here when `bind`."""
    pubs = []
    for group in groups:
        circuit = compiled.get(group.template)
        for row in group.value_rows():
            if bind or not group.template.parameters:
                pubs.append((circuit.assign_parameters(row, inplace=False) if len(row) else circuit, None, group.shots))
            else:
                pubs.append((circuit, row, group.shots))
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


class _AerBackend(Backend):
    """Common path of the Aer backends: every circuit of the batch in one AerSimulator run per shot count."""

    def _execute(self, simulator: AerSimulator, compiled: CompiledTemplates, groups: Sequence[Group]) -> JobResult:
        # Parameters are bound in Python: Aer's runtime binding leaves controlled rotations
        # unrotated (qiskit-aer 0.18). Aer's SamplerV2 is skipped too: it records every shot
        # as a string and recounts them, which cost more than the simulation for small circuits.
        pubs = _pubs(groups, compiled, bind=True)
        by_shots: dict[int, list[int]] = {}
        for position, (_, _, shots) in enumerate(pubs):
            by_shots.setdefault(shots, []).append(position)
        flat: list[dict[str, int]] = [{} for _ in pubs]
        job_ids: list[str] = []
        started = time.perf_counter()
        for shots, positions in by_shots.items():
            job = simulator.run([pubs[p][0] for p in positions], shots=shots)
            result = job.result()
            if not result.success:
                raise BackendError("aer_failed", str(result.status))
            for k, position in enumerate(positions):
                flat[position] = dict(result.get_counts(k))
            job_ids.append(job.job_id())
        elapsed = (time.perf_counter() - started) * 1000.0
        return JobResult(job_id=",".join(job_ids), backend_used=self.name, counts=_split_counts(groups, flat),
                         execution_ms=elapsed)


class AerBackend(_AerBackend):
    """``aer``: the ideal, noise-free AerSimulator."""

    def __init__(self) -> None:
        self.name = "aer"
        # One OpenMP thread per job: the pool runs jobs on every core already, and
        # spinning threads on a shared machine made small jobs several times slower.
        self._simulator = AerSimulator(max_parallel_threads=1)
        self._compiled = CompiledTemplates(
            _measuring(generate_preset_pass_manager(optimization_level=1, backend=self._simulator))
        )

    def run(self, groups: Sequence[Group]) -> JobResult:
        return self._execute(self._simulator, self._compiled, groups)


class NoisyAerBackend(_AerBackend):
    """``aer:<fake device>``: Aer with the noise of the device region the circuit's size needs."""

    def __init__(self, device: str) -> None:
        self.name = f"aer:{device}"
        self._device = device
        self._lock = threading.Lock()
        self._regions: dict[int, tuple[AerSimulator, CompiledTemplates]] = {}

    def _region(self, num_qubits: int) -> tuple[AerSimulator, CompiledTemplates]:
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
                self._regions[num_qubits] = (simulator, CompiledTemplates(_measuring(pass_manager)))
            return self._regions[num_qubits]

    def run(self, groups: Sequence[Group]) -> JobResult:
        by_size: dict[int, list[int]] = {}
        for position, group in enumerate(groups):
            by_size.setdefault(group.template.circuit.num_qubits, []).append(position)
        # Each region has its own noise model, so circuits of different sizes need separate Aer runs.
        counts: list[list[dict[str, int]]] = [[] for _ in groups]
        job_ids: list[str] = []
        execution_ms = 0.0
        for size, positions in by_size.items():
            simulator, compiled = self._region(size)
            result = self._execute(simulator, compiled, [groups[p] for p in positions])
            for position, group_counts in zip(positions, result.counts, strict=True):
                counts[position] = group_counts
            job_ids.append(result.job_id)
            execution_ms += result.execution_ms
        return JobResult(job_id=",".join(job_ids), backend_used=self.name, counts=counts, execution_ms=execution_ms)


class IBMRuntimeBackend(Backend):
    """``ibm:<backend>``: Qiskit Runtime SamplerV2 in Batch mode, or its local testing mode on a fake device."""

    def __init__(self, device: str, timeout_s: float = DEFAULT_IBM_TIMEOUT_S) -> None:
        self.name = f"ibm:{device}"
        self._device_name = device
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._batch: Any = None
        self._compiled: CompiledTemplates | None = None
        self._resolved = ""

    def _open(self) -> tuple[Any, CompiledTemplates]:
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
        token = get_settings().ibm_quantum_token
        if token is None or not token.get_secret_value():
            raise BackendError("ibm_not_configured", "no IBM Quantum token: set AURA_IBM_QUANTUM_TOKEN")
        try:
            service = QiskitRuntimeService(channel="ibm_quantum_platform", token=token.get_secret_value())
            if self._device_name == "least_busy":
                return service.least_busy(operational=True, simulator=False)
            return service.backend(self._device_name)
        except Exception as error:  # the SDK raises many types; the caller needs the reason, not the type
            raise BackendError("ibm_unavailable", f"{type(error).__name__}: {error}") from error

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
            pubs = _pubs(groups, compiled, bind=False)
            job = SamplerV2(mode=batch).run(pubs)
        except Exception as error:
            self._close()
            raise BackendError("ibm_submit_failed", f"{type(error).__name__}: {error}") from error
        deadline = started + self._timeout_s
        while not job.done():
            if time.perf_counter() > deadline:
                try:
                    job.cancel()
                except Exception as error:  # the timeout is the failure to report; cancelling is best effort
                    raise BackendError("ibm_timeout", f"job {job.job_id()} not done after {self._timeout_s:g} s; "
                                       f"cancelling failed: {error}") from error
                raise BackendError("ibm_timeout", f"job {job.job_id()} not done after {self._timeout_s:g} s; cancelled")
            time.sleep(_POLL_S)
        try:
            result = job.result()
        except Exception as error:
            self._close()
            raise BackendError("ibm_job_failed", f"job {job.job_id()}: {type(error).__name__}: {error}") from error
        elapsed = (time.perf_counter() - started) * 1000.0
        flat = [pub_result.data.meas.get_counts() for pub_result in result]
        return JobResult(job_id=job.job_id(), backend_used=f"ibm:{self._resolved}",
                         counts=_split_counts(groups, flat), execution_ms=elapsed)


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
                fallback_reason=error.reason,
            )
