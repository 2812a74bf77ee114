"""Quantum pool benchmark: batching pool against one job per circuit, same run, same circuits.

N six-qubit lattice circuits (random cell scores, random interaction counts
on a fixed six-cell lattice) × 512 shots are submitted concurrently through
`quantum.pool.run_metrics`, once to a pool that batches up to `--batch`
circuits per backend job and once to a pool that issues one job per circuit
(`max_batch=1`, so also one Ray call per circuit), on `aer` and on
`aer:fake_fez`. Each circuit's Φ, Γ, Λ, W₂ are computed in both cases.
Before each measurement both pools get the same warm-up: one full batch per
worker, so one-time costs (transpiling, noise regions, caches) stay out of
both. Starts its own local Ray and shuts it down.

    uv run python -m bench.quantum [--circuits 1000] [--batch 100] [--workers 2]

(Run as a module: as a script, this file's directory comes first on the path
and its own name would hide the `quantum` package.)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import dataclass

import numpy as np
import ray
from qiskit import QuantumCircuit

from deployments.runtime import init_ray
from quantum import LatticeEdge, PoolConfig, lattice, pool_stats, run_metrics

CELLS = 6
SHOTS = 512
# The six-cell lattice: a ring with two chords.
EDGES = [(i, (i + 1) % CELLS) for i in range(CELLS)] + [(0, 3), (1, 4)]


@dataclass(frozen=True)
class Figures:
    """One mode's outcome on one backend."""

    backend: str
    mode: str
    circuits: int
    seconds: float
    calls: int
    jobs: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.circuits / self.seconds


def lattice_circuits(count: int, seed: int) -> list[QuantumCircuit]:
    """`count` lattice circuits of one shape with random scores and interaction counts."""
    rng = np.random.default_rng(seed)
    return [
        lattice(
            rng.random(CELLS).tolist(),
            [LatticeEdge(a, b, int(rng.integers(1, 20))) for a, b in EDGES],
        )
        for _ in range(count)
    ]


async def timed(circuit: QuantumCircuit, backend: str, config: PoolConfig) -> float:
    started = time.perf_counter()
    await run_metrics(circuit, SHOTS, backend, config=config)
    return (time.perf_counter() - started) * 1000.0


async def measure(backend: str, mode: str, config: PoolConfig, circuits: list[QuantumCircuit]) -> Figures:
    """Submit every circuit at once and wait for all; Ray calls and jobs are read from the workers' counters."""
    before = await pool_stats(config)
    started = time.perf_counter()
    latencies = await asyncio.gather(*(timed(c, backend, config) for c in circuits))
    seconds = time.perf_counter() - started
    after = await pool_stats(config)
    calls = sum(s.calls for s in after) - sum(s.calls for s in before)
    jobs = sum(s.jobs for s in after) - sum(s.jobs for s in before)
    return Figures(
        backend,
        mode,
        len(circuits),
        seconds,
        calls,
        jobs,
        float(np.percentile(latencies, 50)),
        float(np.percentile(latencies, 99)),
    )


async def main(count: int, batch: int, workers: int, window_s: float) -> None:
    batched = PoolConfig(
        prefix="bench:quantum-batched", size=workers, window_s=window_s, max_batch=batch, max_queue=count
    )
    single = PoolConfig(prefix="bench:quantum-single", size=workers, window_s=0.0, max_batch=1, max_queue=count)
    circuits = lattice_circuits(count, seed=1)
    warmup = lattice_circuits(batch * workers, seed=2)
    print(
        f"{count} six-qubit lattice circuits × {SHOTS} shots, {workers} workers, batch ≤ {batch}, window {window_s} s"
    )
    print(
        f"{'backend':<14}{'mode':<18}{'circuits/s':>11}{'Ray calls':>10}{'jobs':>7}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'seconds':>9}"
    )
    for backend in ("aer", "aer:fake_fez"):
        results = []
        for mode, config in (("batched", batched), ("one job/circuit", single)):
            # The same warm-up for both modes: a full batch per worker fills every cache before measuring.
            await asyncio.gather(*(run_metrics(c, SHOTS, backend, config=config) for c in warmup))
            figures = await measure(backend, mode, config, circuits)
            results.append(figures)
            print(
                f"{backend:<14}{mode:<18}{figures.rate:>11.1f}{figures.calls:>10}{figures.jobs:>7}"
                f"{figures.p50_ms:>10.0f}{figures.p99_ms:>10.0f}{figures.seconds:>9.2f}"
            )
        print(
            f"{backend:<14}batched / one job per circuit: {results[0].rate / results[1].rate:.1f}× throughput; "
            f"jobs {results[0].jobs} (⌈N / batch⌉ = {math.ceil(count / batch)})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuits", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=float, default=0.5, help="seconds a batch waits to fill")
    arguments = parser.parse_args()
    init_ray(include_dashboard=False, namespace="aura-bench", logging_level="WARNING")
    try:
        asyncio.run(main(arguments.circuits, arguments.batch, arguments.workers, arguments.window))
    finally:
        ray.shutdown()
