"""What Aura's metrics cost signed `POST /v1/negotiate`: closed-loop throughput with `AURA_METRICS` on and off.

    uv run python -m bench.metrics_cost [--rounds 4] [--clients 32] [--seconds 6]

Each round brings the whole stack up twice in turn (embedded PostgreSQL,
Ray, Serve, the demo catalog, as `bench.negotiate` does), once with
metrics recorded and once without (every Ray worker inherits the
setting), and measures the same client loop against each: a session opened
with a low bid and closed at the list price. Rounds alternate which setting
goes first, so a machine getting busier or quieter during the run weighs on
both alike. The table gives each setting's median over the rounds and the
ratio. Target (issue 17): metrics cost ≤ 3 % of the throughput.

Throughput on a shared 2-core machine moves by more than 3 % from one
stack to the next, so the run also measures the cost directly: the values
one bid records at most (its request's count and latency, its status, a
deal, a save, a channel batch), recorded by this process while it is
connected to the stack's Ray, against the server CPU a bid takes.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from actors.metrics import CHANNEL_BATCHES, SAVES
from aura.settings import Settings, get_settings
from aura.store import connect_url
from bench.negotiate import _free_port, _seed, _wait_ready, measure, warm_up
from deployments import runtime
from deployments.metrics import LATENCY, REQUESTS
from negotiation.metrics import BIDS, DEALS

TARGET_COST = 0.03
_BIDS_TIMED = 20_000


def recording_us_per_bid() -> float:
    """Microseconds this process spends recording what one closing bid records, the most a bid records."""
    started = time.perf_counter()
    for _ in range(_BIDS_TIMED):
        REQUESTS.inc(route="/v1/negotiate", method="POST", status="200")
        LATENCY.observe(0.004, route="/v1/negotiate", method="POST")
        BIDS.inc(status="accepted")
        DEALS.inc()
        SAVES.inc(1, group="seller")
        CHANNEL_BATCHES.inc()
    return (time.perf_counter() - started) / _BIDS_TIMED * 1e6


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
            figures = pool.submit(measure, endpoints.api, clients, seconds).result()
        if metrics:
            figures["recording_us"] = recording_us_per_bid()
        return figures
    finally:
        runtime.down(settings)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    # The benchmark's clients must not be throttled by the per-DID limit (inherited by Ray's workers).
    os.environ["AURA_RATE_LIMIT_PER_MINUTE"] = "100000000"
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for round_ in range(args.rounds):
        for metrics in (True, False) if round_ % 2 == 0 else (False, True):
            runs[metrics].append(one_round(metrics, args.clients, args.seconds))

    def median(metrics: bool, key: str) -> float:
        return statistics.median(run[key] for run in runs[metrics])

    with_metrics, without = median(True, "throughput_rps"), median(False, "throughput_rps")
    cost = 1 - with_metrics / without
    print(f"Signed POST /v1/negotiate, {args.clients} closed-loop clients, median of {args.rounds} rounds\n")
    print("| metrics on (req/s) | metrics off (req/s) | on / off | cost | ≤ 3 % |")
    print("| ---: | ---: | ---: | ---: | :---: |")
    print(
        f"| {with_metrics:.1f} | {without:.1f} | {with_metrics / without:.1%} | {cost:.1%} | "
        f"{'yes' if cost <= TARGET_COST else 'no'} |"
    )
    for metrics in (True, False):
        print(
            f"\nmetrics {'on' if metrics else 'off'}, per round: "
            + ", ".join(
                f"{run['throughput_rps']:.1f} req/s ({run['server_cpu_ms']:.2f} ms server CPU a bid)"
                for run in runs[metrics]
            )
        )
    recording, server_ms = median(True, "recording_us"), median(False, "server_cpu_ms")
    share = recording / (server_ms * 1000)
    print(
        f"\nrecording one bid's values: {recording:.1f} µs against {server_ms:.2f} ms of server CPU a bid "
        f"(metrics off): {share:.2%} of it, {'within' if share <= TARGET_COST else 'over'} 3 %"
    )


if __name__ == "__main__":
    main()
