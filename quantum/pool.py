"""The quantum pool: named Ray actors that batch many callers' circuits into few backend jobs.

Each worker `aura:quantum:<i>` keeps one queue per (backend, fallback). A
queue's submissions go out together as one backend job as soon as it holds
`max_batch` of them or its oldest has waited `window_s`; while a job runs,
new submissions gather for the next one. Every caller awaits only its own
circuit's metrics. A worker holds at most `max_queue` waiting circuits and
answers "busy" beyond that, so overload never grows memory without bound.

Batching starts in the calling process: `run_metrics` calls made in the same
turn of its event loop (a burst of requests, an `asyncio.gather`) travel to
a worker together, up to `max_batch` per Ray call, each circuit as its shape
and angles (`templates.Shaped`) rather than a pickled `QuantumCircuit`. With
`max_batch=1` every circuit is its own Ray call and its own backend job.

Workers live in the Ray namespace ``aura`` whatever the caller's namespace,
are detached, and are found by name (`get_if_exists`), so every process on
the cluster shares them; the first process to create a worker fixes its
configuration.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import ray
from qiskit import QuantumCircuit

from aura import NAMESPACE, HostHealth, NamedActor, settle
from quantum.backends import BackendError, backend, validate_name
from quantum.errors import CircuitError, QuantumError
from quantum.limits import DEFAULT_MAX_QUBITS
from quantum.metrics import metric_rows, outcome_distribution
from quantum.metrics_export import CIRCUITS_PER_JOB, JOBS, QUEUE_DEPTH, REJECTED
from quantum.reference import ideal_states
from quantum.templates import Shaped, ShapeKey, group, shape

log = logging.getLogger(__name__)

MAX_SHOTS: Final[int] = 100_000
_LATENCY_WINDOW: Final[int] = 10_000


class PoolBusy(QuantumError, RuntimeError):
    """A pool worker's queue is full, or a worker cannot be reached; the caller should retry shortly."""

    default_code = "quantum_pool_busy"

    def __init__(
        self, code: str | None = None, detail: str = "the quantum pool has too many circuits waiting; retry shortly"
    ) -> None:
        super().__init__(code, detail, headers={"Retry-After": "1"})


class QuantumJobFailed(QuantumError, RuntimeError):
    """The backend job carrying a circuit failed; `code` is machine-readable, `detail` says why."""

    default_code = "job_failed"


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
    calls: int
    jobs: int
    circuits: int
    failed: int
    rejected: int
    latency_p50_ms: float
    latency_p99_ms: float


# One circuit as it travels from a caller to a worker: shape key, values, shots. Plain tuples,
# because Ray's pickler handles them natively and calls back into Python for every dataclass.
_Wire = tuple[ShapeKey, tuple[float, ...], int]
_BackendKey = tuple[str, str | None]  # (backend, fallback)


@dataclass
class _Submission:
    circuit: Shaped
    shots: int
    future: asyncio.Future[MetricsResult]
    enqueued: float = field(default_factory=time.perf_counter)


class QuantumWorker:
    """One pool worker (an async Ray actor): queues submissions per backend and runs them in batches."""

    def __init__(self, config: PoolConfig, name: str) -> None:
        self._config = config
        self._name = name
        self._queues: dict[_BackendKey, deque[_Submission]] = {}
        self._arrivals: dict[_BackendKey, asyncio.Event] = {}
        self._dispatchers: dict[_BackendKey, asyncio.Task[None]] = {}
        self._waiting = 0
        self._in_flight = 0
        self._calls = 0
        self._jobs = 0
        self._circuits = 0
        self._failed = 0
        self._rejected = 0
        self._latencies_ms: deque[float] = deque(maxlen=_LATENCY_WINDOW)

    async def submit_many(
        self, backend_name: str, fallback: str | None, circuits: list[_Wire]
    ) -> list[MetricsResult | BaseException]:
        """Queue circuits for one backend and await their metrics; a circuit that fails gets its error instead.

        The errors are `PoolBusy` when the queue is full, `CircuitError` or
        `BackendError` for a request that can never run, and
        `QuantumJobFailed` when its backend job fails.
        """
        self._calls += 1
        try:
            _check_backend(backend_name, fallback)
        except BackendError as error:
            return [error] * len(circuits)
        key = (backend_name, fallback)
        futures = [self._enqueue(key, Shaped(shape_key, values), shots) for shape_key, values, shots in circuits]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    def _enqueue(self, key: _BackendKey, circuit: Shaped, shots: int) -> asyncio.Future[MetricsResult]:
        future: asyncio.Future[MetricsResult] = asyncio.get_running_loop().create_future()
        try:
            _check_circuit(circuit, shots, self._config.max_qubits)
        except CircuitError as error:
            future.set_exception(error)
            return future
        if self._waiting >= self._config.max_queue:
            self._rejected += 1
            REJECTED.inc()
            future.set_exception(PoolBusy())
            return future
        self._queues.setdefault(key, deque()).append(_Submission(circuit, shots, future))
        self._waiting += 1
        QUEUE_DEPTH.set(self._waiting, worker=self._name)
        self._arrivals.setdefault(key, asyncio.Event()).set()
        if key not in self._dispatchers:
            self._dispatchers[key] = asyncio.create_task(self._dispatch(key))
        return future

    async def stats(self) -> PoolStats:
        """The worker's counters: queue depth, Ray calls received, jobs, circuits, failures, rejections and latency."""
        latencies = np.array(self._latencies_ms) if self._latencies_ms else np.array([np.nan])
        return PoolStats(
            name=self._name,
            queue_depth=self._waiting,
            in_flight=self._in_flight,
            calls=self._calls,
            jobs=self._jobs,
            circuits=self._circuits,
            failed=self._failed,
            rejected=self._rejected,
            latency_p50_ms=float(np.percentile(latencies, 50)),
            latency_p99_ms=float(np.percentile(latencies, 99)),
        )

    async def _dispatch(self, key: _BackendKey) -> None:
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
                QUEUE_DEPTH.set(self._waiting, worker=self._name)
                self._in_flight += len(batch)
                try:
                    await self._run(key, batch)
                finally:
                    self._in_flight -= len(batch)
        finally:
            del self._dispatchers[key]

    async def _run(self, key: _BackendKey, batch: list[_Submission]) -> None:
        """Run one batch as one backend job (in a thread) and hand each caller its own result."""
        self._jobs += 1
        CIRCUITS_PER_JOB.observe(len(batch), backend=key[0])
        status = "ok"
        try:
            outcomes: list[MetricsResult | QuantumError] = list(
                await asyncio.to_thread(_execute, key[0], key[1], [(s.circuit, s.shots) for s in batch])
            )
        except BackendError as error:
            status = "failed"
            outcomes = [QuantumJobFailed(error.code, error.detail)] * len(batch)
        except Exception:  # anything else is still this job's failure: its callers get a code, the log the text
            log.exception(
                "quantum job failed",
                extra={"worker": self._name, "backend": key[0], "fallback": key[1], "circuits": len(batch)},
            )
            status = "failed"
            outcomes = [QuantumJobFailed("job_failed", "the backend job failed; the error is logged")] * len(batch)
        JOBS.inc(backend=key[0], status=status)
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


def _check_circuit(circuit: Shaped, shots: int, max_qubits: int) -> None:
    """Reject at once a circuit that no backend job could ever run."""
    if not 1 <= shots <= MAX_SHOTS:
        raise CircuitError("invalid_shots", f"shots must be in 1…{MAX_SHOTS}, got {shots}")
    if circuit.num_qubits > max_qubits:
        raise CircuitError(
            "too_many_qubits", f"{circuit.num_qubits} qubits exceed the limit of {max_qubits} for the ideal reference"
        )


def _check_backend(backend_name: str, fallback: str | None) -> None:
    """Reject at once a backend (or fallback) that does not exist."""
    validate_name(backend_name)
    if fallback is not None:
        validate_name(fallback)


def _shaped(circuit: QuantumCircuit) -> Shaped:
    """The circuit as it travels to a worker; `CircuitError` if it measures or has no template."""
    # A measurement needs a classical bit, so a circuit without any measures nothing.
    if circuit.num_clbits:
        raise CircuitError("not_unitary", "submit the circuit without measurements; every qubit is measured")
    try:
        return shape(circuit)
    except ValueError as error:
        raise CircuitError("unsupported_circuit", str(error)) from error


def _execute(backend_name: str, fallback: str | None, batch: Sequence[tuple[Shaped, int]]) -> list[MetricsResult]:
    """One backend job for the whole batch, then each group's metrics against its ideal states at once."""
    groups = group(batch)
    job = backend(backend_name, fallback).run(groups)
    outcomes: dict[int, MetricsResult] = {}
    for one_group, group_counts in zip(groups, job.counts, strict=True):
        num_qubits = one_group.template.circuit.num_qubits
        measured = np.array([outcome_distribution(counts, num_qubits) for counts in group_counts])
        values = metric_rows(measured, ideal_states(one_group))
        for position, counts, value in zip(one_group.members, group_counts, values, strict=True):
            outcomes[position] = MetricsResult(
                phi=value.phi,
                gamma=value.gamma,
                lam=value.lam,
                w2=value.w2,
                counts=counts,
                backend_used=job.backend_used,
                job_id=job.job_id,
                execution_ms=job.execution_ms,
                fallback_reason=job.fallback_reason,
            )
    return [outcomes[position] for position in range(len(batch))]


_RemoteWorker = ray.remote(QuantumWorker)
_workers: dict[str, NamedActor] = {}
_turn = itertools.count()


def _named_worker(config: PoolConfig, index: int) -> NamedActor:
    """This process's handle on worker `index` of the pool: found by name, made again when gone."""
    name = config.worker_name(index)
    found = _workers.get(name)
    if found is None:

        def make() -> Any:
            return _RemoteWorker.options(
                name=name,
                namespace=NAMESPACE,
                get_if_exists=True,
                lifetime="detached",
                num_cpus=config.num_cpus,
                max_concurrency=max(1000, config.max_queue + 100),
            ).remote(config, name)

        found = _workers[name] = NamedActor(name, "quantum", make, probe="stats")
    return found


def worker(config: PoolConfig, index: int) -> Any:
    """The handle of worker `index` of the pool, creating the worker if no process has yet."""
    return _named_worker(config, index).handle()


async def check_pool(config: PoolConfig, timeout_s: float) -> list[HostHealth]:
    """Probe every worker of the pool that was made, making again those gone for good (what a supervisor runs).

    Workers nothing has used yet stay unmade (`idle`): each is a process with Qiskit loaded.
    """
    checks = (_named_worker(config, i).check(timeout_s, start=False) for i in range(config.size))
    return list(await asyncio.gather(*checks))


def workers(config: PoolConfig = PoolConfig()) -> list[Any]:
    """Handles of all the pool's workers."""
    return [worker(config, index) for index in range(config.size)]


class _Sender:
    """One process's outgoing circuits for one pool, gathered per event-loop turn and backend.

    Coalescing here means a burst of callers costs one Ray call per
    `max_batch` circuits instead of one each, and a worker receives its batch
    whole. Nothing waits for it: what was submitted during one turn of the
    loop leaves at the start of the next.
    """

    def __init__(self, config: PoolConfig, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._config = config
        self._pending: dict[_BackendKey, list[tuple[_Wire, asyncio.Future[MetricsResult]]]] = {}
        self._scheduled = False
        self._in_transit: set[asyncio.Task[None]] = set()

    def send(self, key: _BackendKey, circuit: _Wire) -> asyncio.Future[MetricsResult]:
        """Queue one circuit for the next Ray call to a worker; the future holds its result or error."""
        future: asyncio.Future[MetricsResult] = self.loop.create_future()
        pending = self._pending.setdefault(key, [])
        pending.append((circuit, future))
        if len(pending) >= self._config.max_batch:
            self._call(key, self._pending.pop(key))
        elif not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._on_next_turn)
        return future

    def _on_next_turn(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        for key, circuits in pending.items():
            self._call(key, circuits)

    def _call(self, key: _BackendKey, pending: list[tuple[_Wire, asyncio.Future[MetricsResult]]]) -> None:
        # Workers take turns per call, which spreads load evenly; the task set keeps calls alive.
        call = self.loop.create_task(self._deliver(next(_turn) % self._config.size, key, pending))
        self._in_transit.add(call)
        call.add_done_callback(self._in_transit.discard)

    async def _deliver(
        self, index: int, key: _BackendKey, pending: list[tuple[_Wire, asyncio.Future[MetricsResult]]]
    ) -> None:
        outcomes: list[MetricsResult | BaseException]
        try:
            outcomes = await worker(self._config, index).submit_many.remote(*key, [circuit for circuit, _ in pending])
        except Exception as error:  # the Ray call itself failed: every circuit it carried fails with it
            if isinstance(error, ray.exceptions.RayActorError):
                # The worker died: the next call finds it again by name, or makes it anew.
                _named_worker(self._config, index).forget()
            log.exception(
                "quantum worker call failed",
                extra={"worker": self._config.worker_name(index), "backend": key[0], "circuits": len(pending)},
            )
            failed = PoolBusy(
                "quantum_worker_unavailable", "the quantum worker could not take the circuit; retry shortly"
            )
            outcomes = [failed] * len(pending)
        settle([future for _, future in pending], outcomes)


_senders: dict[PoolConfig, _Sender] = {}


def _sender(config: PoolConfig) -> _Sender:
    """This process's sender for the pool, on the running event loop."""
    loop = asyncio.get_running_loop()
    sender = _senders.get(config)
    if sender is None or sender.loop is not loop:
        sender = _senders[config] = _Sender(config, loop)
    return sender


async def run_metrics(
    circuit: QuantumCircuit,
    shots: int,
    backend_name: str,
    fallback: str | None = None,
    config: PoolConfig = PoolConfig(),
) -> MetricsResult:
    """Run a circuit (without measurements) on a backend through the pool and return its metrics.

    Calls made together travel to a worker together (see the module
    docstring); each caller still gets its own circuit's result. Raises
    `PoolBusy`, `CircuitError`, `BackendError` or `QuantumJobFailed` (see
    `QuantumWorker.submit_many`); a worker that could not be called is
    `QuantumJobFailed` with code ``quantum_worker_unavailable``.
    """
    shaped = _shaped(circuit)
    _check_circuit(shaped, shots, config.max_qubits)
    _check_backend(backend_name, fallback)
    return await _sender(config).send((backend_name, fallback), (shaped.key, shaped.values, shots))


async def pool_stats(config: PoolConfig = PoolConfig()) -> list[PoolStats]:
    """Every worker's counters."""
    return list(await asyncio.gather(*(handle.stats.remote() for handle in workers(config))))
