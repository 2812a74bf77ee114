"""The cluster's single actors gone for good (a quantum worker, the chunk relay) are made again under their names:
by the next call that finds them dead, or by a supervisor's check; callers meanwhile get a retryable answer."""

from __future__ import annotations

import pytest
import ray
from qiskit import QuantumCircuit

from aura import NAMESPACE
from lattice.relay import RELAY_NAME, shared_relay
from quantum.pool import PoolBusy, PoolConfig, check_pool, run_metrics
from tests.faults.conftest import recovered

pytestmark = pytest.mark.usefixtures("ray_cluster")

RECOVERY_S = 60.0
POOL = PoolConfig(prefix="test:quantum-faults", size=1, window_s=0.0)


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


async def test_a_quantum_worker_killed_for_good_refuses_retryably_then_runs_again() -> None:
    assert (await run_metrics(bell(), 100, "aer", config=POOL)).backend_used == "aer"
    killed = ray.get_actor(POOL.worker_name(0), namespace=NAMESPACE)
    ray.kill(killed, no_restart=True)

    refusals: list[PoolBusy] = []

    async def ran() -> object | None:
        try:
            return await run_metrics(bell(), 100, "aer", config=POOL)
        except PoolBusy as busy:
            refusals.append(busy)
            return None

    result = await recovered(ran, RECOVERY_S)
    assert all(r.code == "quantum_worker_unavailable" and r.headers == {"Retry-After": "1"} for r in refusals)
    assert sum(result.counts.values()) == 100  # type: ignore[attr-defined]
    assert [h.state for h in await check_pool(POOL, 10.0)] == ["alive"]
    assert ray.get_actor(POOL.worker_name(0), namespace=NAMESPACE)._actor_id != killed._actor_id


async def test_the_chunk_relay_killed_for_good_is_made_again_by_a_check() -> None:
    relay = shared_relay()
    killed = relay.handle()
    await killed.ping.remote()
    ray.kill(killed, no_restart=True)

    async def back() -> str | None:
        health = await relay.check(5.0)
        return health.state if health.state == "alive" else None

    await recovered(back, RECOVERY_S)
    made = ray.get_actor(RELAY_NAME, namespace=NAMESPACE)
    assert made._actor_id != killed._actor_id
    await made.publish.remote("faults-stream", [("step", 0, "chunk")])
    assert await made.take.remote("faults-stream", 1.0) == [("step", 0, "chunk")]
