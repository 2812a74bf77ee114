"""What Aura's metrics cost signed `POST /v1/negotiate`: closed-loop throughput with `AURA_METRICS` on and off.

    uv run python -m bench.metrics_cost [--rounds 2] [--clients 32] [--seconds 6]

Each round brings the whole stack up twice in turn (embedded PostgreSQL,
Ray, Serve, the demo catalog, as `bench.negotiate` does), once with
metrics recorded and once without (every Ray worker inherits the
setting), and measures the same client loop against each: a session opened
with a low bid and closed at the list price. The table gives each
setting's median over the rounds and the ratio. Target (issue 17): metrics
cost ≤ 3 % of the throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from aura.settings import Settings, get_settings
from aura.store import connect_url
from bench.negotiate import _free_port, _seed, _wait_ready, measure, warm_up
from deployments import runtime

TARGET_COST = 0.03


def one_round(metrics: bool, clients: int, seconds: float) -> dict:
    """Bring the stack up with metrics on or off, measure `clients` closed-loop clients, bring it down."""
    os.environ["AURA_METRICS"] = "true" if metrics else "false"
    get_settings.cache_clear()
    workdir = Path(tempfile.mkdtemp(prefix="aura-bench-metrics-"))
    settings = Settings(data_dir=workdir, database_url=None, serve_port=_free_port(), dashboard_port=_free_port())
    try:
        endpoints = runtime.up(settings)
        asyncio.run(_seed(connect_url(settings)))
        asyncio.run(_wait_ready(endpoints.api))
        asyncio.run(warm_up(endpoints.api))
        # The clients run in a process without Ray, as in `bench.negotiate`.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(measure, endpoints.api, clients, seconds).result()
    finally:
        runtime.down(settings)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    # The benchmark's clients must not be throttled by the per-DID limit (inherited by Ray's workers).
    os.environ["AURA_RATE_LIMIT_PER_MINUTE"] = "100000000"
    on: list[float] = []
    off: list[float] = []
    for _ in range(args.rounds):
        for metrics, figures in ((True, on), (False, off)):
            figures.append(one_round(metrics, args.clients, args.seconds)["throughput_rps"])
    with_metrics, without = statistics.median(on), statistics.median(off)
    cost = 1 - with_metrics / without
    print(f"Signed POST /v1/negotiate, {args.clients} closed-loop clients, median of {args.rounds} rounds\n")
    print("| metrics on (req/s) | metrics off (req/s) | on / off | cost | ≤ 3 % |")
    print("| ---: | ---: | ---: | ---: | :---: |")
    print(
        f"| {with_metrics:.1f} | {without:.1f} | {with_metrics / without:.1%} | {cost:.1%} | "
        f"{'yes' if cost <= TARGET_COST else 'no'} |"
    )
    print("\nper round, on:", ", ".join(f"{r:.1f}" for r in on), "; off:", ", ".join(f"{r:.1f}" for r in off))


if __name__ == "__main__":
    main()
