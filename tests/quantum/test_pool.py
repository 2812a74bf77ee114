"""The quantum pool on the session's real Ray cluster: batching, own results, busy, counters."""

from __future__ import annotations

import asyncio

import pytest
import ray
from qiskit import QuantumCircuit

from aura.cluster import NAMESPACE
from quantum.circuits import CircuitError, bell, ghz
from quantum.pool import PoolBusy, PoolConfig, pool_stats, run_metrics
from tests.prometheus import missing_after_export

# One worker shared by the tests below (each Ray actor is a process that imports Qiskit);
# a long window makes every concurrent burst one batch, whatever the machine's load.
BATCHING = PoolConfig(prefix="test:quantum", size=1, window_s=1.0, max_batch=32)


def basis_state(index: int, n: int) -> QuantumCircuit:
    """|index⟩ on n qubits: a circuit whose only outcome is the count key format(index, 0nb)."""
    circuit = QuantumCircuit(n)
    for qubit in range(n):
        if (index >> qubit) & 1:
            circuit.x(qubit)
    return circuit


async def test_concurrent_submissions_share_jobs_and_each_caller_gets_its_own_counts(ray_cluster: None) -> None:
    config = BATCHING
    (before,) = await pool_stats(config)
    n, circuits = 6, 48
    results = await asyncio.gather(*(run_metrics(basis_state(i, n), 40, "aer", config=config) for i in range(circuits)))
    for index, result in enumerate(results):
        assert result.counts == {format(index, f"0{n}b"): 40}
        assert result.gamma == 0.0 and result.phi == 0.0 and result.lam == 0.0
        assert result.backend_used == "aer"
    (after,) = await pool_stats(config)
    assert after.circuits - before.circuits == circuits
    # 48 circuits submitted together, at most 32 per Ray call and per job.
    assert after.calls - before.calls == 2
    jobs = after.jobs - before.jobs
    assert jobs == 2
    assert len({r.job_id for r in results}) == jobs
    assert after.queue_depth == 0 and after.in_flight == 0
    assert after.latency_p50_ms > 0


async def test_a_pool_of_one_job_per_circuit_makes_a_call_and_a_job_for_each(ray_cluster: None) -> None:
    config = PoolConfig(prefix="test:quantum-single", size=2, window_s=0.0, max_batch=1)
    n, circuits = 3, 6
    results = await asyncio.gather(*(run_metrics(basis_state(i, n), 20, "aer", config=config) for i in range(circuits)))
    assert [r.counts for r in results] == [{format(i, f"0{n}b"): 20} for i in range(circuits)]
    stats = await pool_stats(config)
    assert sum(s.calls for s in stats) == circuits
    assert sum(s.jobs for s in stats) == circuits
    assert min(s.jobs for s in stats) == circuits // 2  # the two workers take turns
    assert len({r.job_id for r in results}) == circuits


async def test_one_burst_for_two_backends_travels_per_backend(ray_cluster: None) -> None:
    config = BATCHING
    (before,) = await pool_stats(config)
    results = await asyncio.gather(
        *(
            run_metrics(basis_state(i, 2), 50, backend, config=config)
            for i in range(4)
            for backend in ("aer", "aer:fake_fez")
        )
    )
    assert [r.backend_used for r in results] == ["aer", "aer:fake_fez"] * 4
    for i in range(4):
        assert results[2 * i].counts == {format(i, "02b"): 50}
        noisy = results[2 * i + 1].counts
        assert max(noisy, key=noisy.__getitem__) == format(i, "02b")
    (after,) = await pool_stats(config)
    assert after.calls - before.calls == 2
    assert after.jobs - before.jobs == 2


async def test_workers_are_named_actors_found_from_any_namespace(ray_cluster: None) -> None:
    result = await run_metrics(bell(), 500, "aer", config=BATCHING)
    assert result.phi == pytest.approx(1.0, abs=0.05)
    found = ray.get_actor("test:quantum:0", namespace=NAMESPACE)
    stats = await found.stats.remote()
    assert stats.name == "test:quantum:0" and stats.circuits >= 1


async def test_a_full_queue_answers_busy_instead_of_growing(ray_cluster: None) -> None:
    config = PoolConfig(prefix="test:quantum-busy", size=1, window_s=2.0, max_batch=100, max_queue=4)
    outcomes = await asyncio.gather(
        *(run_metrics(basis_state(i, 3), 10, "aer", config=config) for i in range(10)), return_exceptions=True
    )
    busy = [o for o in outcomes if isinstance(o, PoolBusy)]
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(busy) == 6 and len(done) == 4
    (stats,) = await pool_stats(config)
    assert stats.rejected == 6 and stats.circuits == 4 and stats.jobs == 1


async def test_noisy_backend_through_the_pool(ray_cluster: None) -> None:
    result = await run_metrics(ghz(4), 1000, "aer:fake_fez", config=BATCHING)
    assert result.backend_used == "aer:fake_fez"
    assert result.gamma > 0.0
    assert sum(result.counts.values()) == 1000


async def test_requests_that_cannot_run_fail_before_queueing(ray_cluster: None) -> None:
    config = PoolConfig(prefix="test:quantum", size=1, max_qubits=4)
    with pytest.raises(CircuitError, match="too_many_qubits"):
        await run_metrics(ghz(5), 10, "aer", config=config)
    with pytest.raises(CircuitError, match="invalid_shots"):
        await run_metrics(bell(), 0, "aer", config=config)
    measured = bell()
    measured.measure_all()
    with pytest.raises(CircuitError, match="not_unitary"):
        await run_metrics(measured, 10, "aer", config=config)


async def test_jobs_and_circuits_per_job_reach_the_prometheus_endpoint(ray_cluster: None) -> None:
    await asyncio.gather(*(run_metrics(bell(), 64, "aer", config=BATCHING) for _ in range(3)))
    missing, _ = await missing_after_export(
        [
            ("aura_quantum_jobs_total", {"backend": "aer", "status": "ok"}),
            ("aura_quantum_circuits_per_job_count", {"backend": "aer"}),
        ]
    )
    assert missing == [], "not on the Prometheus endpoint yet"
