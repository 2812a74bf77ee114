"""The quantum pool: named Ray actors that batch many callers' circuits into few backend jobs.

Each worker `aura:quantum:<i>` keeps one queue per (backend, fallback). A
queue's submissions go out together as one backend job as soon as it holds
`max_batch` of them or its oldest has waited `window_s`; while a job runs,
new submissions gather for the next one. Every caller awaits only its own
circuit's metrics. A worker holds at most `max_queue` waiting circuits and
answers "busy" beyond that, so overload never grows memory without bound.

Workers live in the Ray namespace ``aura`` whatever the caller's namespace,
are detached, and are found by name (`get_if_exists`), so every process on
the cluster shares them; the first process to create a worker fixes its
configuration.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import ray
from qiskit import QuantumCircuit

from quantum.backends import BackendError, backend, validate_name
from quantum.circuits import DEFAULT_MAX_QUBITS, CircuitError
from quantum.errors import QuantumError
from quantum.metrics import metrics
from quantum.reference import ideal_states
from quantum.templates import group

NAMESPACE: Final[str] = "aura"
MAX_SHOTS: Final[int] = 100_000
_LATENCY_WINDOW: Final[int] = 10_000


class PoolBusy(RuntimeError):
    """A pool worker's queue is full; the caller should retry later."""


class QuantumJobFailed(QuantumError, RuntimeError):
    """The backend job carrying a circuit failed; `code` is machine-readable, `reason` says why."""


@dataclass(frozen=True)
class PoolConfig:
    """How many workers a pool has, what they are called and how they batch."""

    size: int = 2
    prefix: str = "aura:quantum"
    window_s: float = 0.02
    max_batch: int = 100
    max_queue: int = 5_000
    max_qubits: int = DEFAULT_MAX_QUBITS
    num_cpus: float = 0.0

    def worker_name(self, index: int) -> str:
        """The Ray actor name of worker `index`."""
        return f"{self.prefix}:{index}"


@dataclass(frozen=True)
class MetricsResult:
    """The metrics of one circuit run and where it ran."""

    phi: float
    gamma: float
    lam: float
    w2: float
    counts: dict[str, int]
    backend_used: str
    job_id: str
    execution_ms: float
    fallback_reason: str | None = None


@dataclass(frozen=True)
class PoolStats:
    """A worker's counters since it started."""

    name: str
    queue_depth: int
    in_flight: int
    jobs: int
    circuits: int
    failed: int
    rejected: int
    latency_p50_ms: float
    latency_p99_ms: float


@dataclass
class _Submission:
    circuit: QuantumCircuit
    shots: int
    future: asyncio.Future[MetricsResult]
    enqueued: float = field(default_factory=time.perf_counter)


class QuantumWorker:
    """One pool worker (an async Ray actor): queues submissions per backend and runs them in batches."""

    def __init__(self, config: PoolConfig, name: str) -> None:
        self._config = config
        self._name = name
        self._queues: dict[tuple[str, str | None], deque[_Submission]] = {}
        self._arrivals: dict[tuple[str, str | None], asyncio.Event] = {}
        self._dispatchers: dict[tuple[str, str | None], asyncio.Task[None]] = {}
        self._waiting = 0
        self._in_flight = 0
        self._jobs = 0
        self._circuits = 0
        self._failed = 0
        self._rejected = 0
        self._latencies_ms: deque[float] = deque(maxlen=_LATENCY_WINDOW)

    async def submit(self, circuit: QuantumCircuit, shots: int, backend_name: str,
                     fallback: str | None = None) -> MetricsResult:
        """Queue one circuit (without measurements) and await its metrics.

        Raises `PoolBusy` when the queue is full, `CircuitError` or
        `BackendError` for a request that can never run, and
        `QuantumJobFailed` when its backend job fails.
        """
        _check(circuit, shots, backend_name, fallback, self._config.max_qubits)
        if self._waiting >= self._config.max_queue:
            self._rejected += 1
            raise PoolBusy(f"{self._name} has {self._waiting} circuits waiting (limit {self._config.max_queue})")
        key = (backend_name, fallback)
        submission = _Submission(circuit, shots, asyncio.get_running_loop().create_future())
        self._queues.setdefault(key, deque()).append(submission)
        self._waiting += 1
        self._arrivals.setdefault(key, asyncio.Event()).set()
        if key not in self._dispatchers:
            self._dispatchers[key] = asyncio.create_task(self._dispatch(key))
        return await submission.future

    async def stats(self) -> PoolStats:
        """The worker's counters: queue depth, jobs, circuits, failures, rejections and latency."""
        latencies = np.array(self._latencies_ms) if self._latencies_ms else np.array([np.nan])
        return PoolStats(
            name=self._name,
            queue_depth=self._waiting,
            in_flight=self._in_flight,
            jobs=self._jobs,
            circuits=self._circuits,
            failed=self._failed,
            rejected=self._rejected,
            latency_p50_ms=float(np.percentile(latencies, 50)),
            latency_p99_ms=float(np.percentile(latencies, 99)),
        )

    async def _dispatch(self, key: tuple[str, str | None]) -> None:
        """Send the key's queue out in batches, one job at a time, until it is empty."""
        queue, arrival = self._queues[key], self._arrivals[key]
        try:
            while queue:
                deadline = queue[0].enqueued + self._config.window_s
                while len(queue) < self._config.max_batch:
                    remaining = deadline - time.perf_counter()
                    if remaining <= 0:
                        break
                    arrival.clear()
                    try:
                        await asyncio.wait_for(arrival.wait(), remaining)
                    except TimeoutError:
                        break
                batch = [queue.popleft() for _ in range(min(len(queue), self._config.max_batch))]
                self._waiting -= len(batch)
                self._in_flight += len(batch)
                try:
                    await self._run(key, batch)
                finally:
                    self._in_flight -= len(batch)
        finally:
            del self._dispatchers[key]

    async def _run(self, key: tuple[str, str | None], batch: list[_Submission]) -> None:
        """Run one batch as one backend job (in a thread) and hand each caller its own result."""
        self._jobs += 1
        try:
            outcomes = await asyncio.to_thread(_execute, key[0], key[1], [(s.circuit, s.shots) for s in batch])
        except BackendError as error:
            outcomes = [QuantumJobFailed(error.code, error.reason)] * len(batch)
        except Exception as error:  # anything else is still this job's failure, reported to its callers
            outcomes = [QuantumJobFailed("job_failed", f"{type(error).__name__}: {error}")] * len(batch)
        finished = time.perf_counter()
        for submission, outcome in zip(batch, outcomes, strict=True):
            if submission.future.done():  # the caller went away
                continue
            if isinstance(outcome, Exception):
                self._failed += 1
                submission.future.set_exception(outcome)
            else:
                self._circuits += 1
                self._latencies_ms.append((finished - submission.enqueued) * 1000.0)
                submission.future.set_result(outcome)


def _check(circuit: QuantumCircuit, shots: int, backend_name: str, fallback: str | None, max_qubits: int) -> None:
    """Reject at once what no backend job could ever run."""
    if not 1 <= shots <= MAX_SHOTS:
        raise CircuitError("invalid_shots", f"shots must be in 1…{MAX_SHOTS}, got {shots}")
    if circuit.num_qubits > max_qubits:
        raise CircuitError(
            "too_many_qubits", f"{circuit.num_qubits} qubits exceed the limit of {max_qubits} for the ideal reference"
        )
    if circuit.num_clbits or any(i.operation.name == "measure" for i in circuit.data):
        raise CircuitError("not_unitary", "submit the circuit without measurements; every qubit is measured")
    validate_name(backend_name)
    if fallback is not None:
        validate_name(fallback)


def _execute(backend_name: str, fallback: str | None,
             batch: Sequence[tuple[QuantumCircuit, int]]) -> list[MetricsResult | Exception]:
    """One backend job for the whole batch, then each circuit's metrics against its ideal state."""
    groups, rejected = group(batch)
    outcomes: list[MetricsResult | Exception] = [
        CircuitError("unsupported_circuit", rejected[p]) if p in rejected else QuantumJobFailed("job_failed", "no result")
        for p in range(len(batch))
    ]
    if not groups:
        return outcomes
    job = backend(backend_name, fallback).run(groups)
    for one_group, group_counts in zip(groups, job.counts, strict=True):
        for position, counts, state in zip(one_group.members, group_counts, ideal_states(one_group), strict=True):
            values = metrics(counts, state)
            outcomes[position] = MetricsResult(
                phi=values.phi, gamma=values.gamma, lam=values.lam, w2=values.w2, counts=dict(counts),
                backend_used=job.backend_used, job_id=job.job_id, execution_ms=job.execution_ms,
                fallback_reason=job.fallback_reason,
            )
    return outcomes


_RemoteWorker = ray.remote(QuantumWorker)
_handles: dict[str, Any] = {}
_turn = itertools.count()


def worker(config: PoolConfig, index: int) -> Any:
    """The handle of worker `index` of the pool, creating the worker if no process has yet."""
    name = config.worker_name(index)
    handle = _handles.get(name)
    if handle is None:
        handle = _RemoteWorker.options(
            name=name,
            namespace=NAMESPACE,
            get_if_exists=True,
            lifetime="detached",
            num_cpus=config.num_cpus,
            max_concurrency=max(1000, config.max_queue + 100),
        ).remote(config, name)
        _handles[name] = handle
    return handle


def workers(config: PoolConfig = PoolConfig()) -> list[Any]:
    """Handles of all the pool's workers."""
    return [worker(config, index) for index in range(config.size)]


async def run_metrics(circuit: QuantumCircuit, shots: int, backend_name: str, fallback: str | None = None,
                      config: PoolConfig = PoolConfig()) -> MetricsResult:
    """Run a circuit (without measurements) on a backend through the pool and return its metrics.

    Workers take turns per calling process, which spreads load evenly; each
    batches what it receives. Raises `PoolBusy`, `CircuitError`,
    `BackendError` or `QuantumJobFailed` (see `QuantumWorker.submit`).
    """
    _check(circuit, shots, backend_name, fallback, config.max_qubits)
    index = next(_turn) % config.size
    handle = worker(config, index)
    try:
        return await handle.submit.remote(circuit, shots, backend_name, fallback)
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, (PoolBusy, CircuitError, BackendError, QuantumJobFailed)):
            raise error.cause from None
        raise
    except ray.exceptions.RayActorError:
        # The worker died: forget its handle so the next call finds or recreates it by name.
        _handles.pop(config.worker_name(index), None)
        raise


async def pool_stats(config: PoolConfig = PoolConfig()) -> list[PoolStats]:
    """Every worker's counters."""
    return list(await asyncio.gather(*(handle.stats.remote() for handle in workers(config))))
