"""Benchmark of the batch simulation: 10k, 100k and 1M negotiations, and NegMAS on a sample of the same scenario.

Run from the repository root: `uv sync --group bench && uv run python -m bench.simulate` (NegMAS is
AGPL and lives only in the bench dependency group; it is imported here and
nowhere else). Prints a Markdown table; `--sizes` and `--negmas-sample` trim it.

Aura side: deadline 100 rounds, Boulware / linear / Conceder / adaptive on
both sides, W2 loops stepping between 5 epochs, one shard per CPU. Wall time
is from after Ray is up to the gathered results (shard hosts started inside
it); peak memory is the largest summed RSS of this process and every process
under it (the local Ray: GCS, raylet, shard hosts), sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time

import numpy as np
import psutil
import ray

from negotiation.simulate import Scenario, engine, load, population
from negotiation.strategies import Strategy

DEADLINE = 100
MIX = {"boulware": 1, "linear": 1, "conceder": 1, "adaptive": 1}


def scenario(negotiations: int) -> Scenario:
    """The benchmark scenario at a size: 10k buyers, 1k sellers, 5 epochs."""
    return load(
        None,
        {
            "buyers": 10_000,
            "sellers": 1_000,
            "negotiations": negotiations,
            "deadline": DEADLINE,
            "epochs": 5,
            "seed": 1,
            "buyer": {"strategies": MIX},
            "seller": {"strategies": MIX},
        },
    )


class PeakMemory:
    """Largest summed RSS of this process tree while running."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def aura(negotiations: int, shards: int) -> dict:
    """One Aura run: wall time, negotiations/s, peak memory, agreement rate."""
    with PeakMemory() as memory:
        began = time.perf_counter()
        result = engine.run(scenario(negotiations), shards)
        wall = time.perf_counter() - began
    return {
        "negotiations": negotiations,
        "wall_s": wall,
        "per_s": negotiations / wall,
        "peak_mb": memory.peak / 2**20,
        "agreement_rate": float(result.outcomes.agreed.mean()),
    }


def negmas_sample(count: int) -> dict:
    """NegMAS's Boulware and Conceder time-based negotiators on `count` negotiations of the same scenario.

    The first `count` negotiations of the 1M scenario whose two parties both
    play Boulware or Conceder, each with the same prices, the same deadline
    (n_steps) and linear utilities over an integer price issue: the buyer's
    (reservation − p)/(reservation − aspiration), the seller's
    (p − floor)/(base − floor), reserved value 0.
    """
    from negmas import SAOMechanism, make_issue
    from negmas.preferences import LinearAdditiveUtilityFunction
    from negmas.preferences.value_fun import AffineFun
    from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator

    plan = scenario(1_000_000)
    negotiator = {Strategy.BOULWARE: BoulwareTBNegotiator, Strategy.CONCEDER: ConcederTBNegotiator}
    number = np.arange(200_000)
    buyer = population.buyers(plan, population.buyer_of(plan, 0, number))
    seller = population.sellers(plan, population.seller_of(plan, number))
    chosen = np.flatnonzero(np.isin(buyer.strategy, list(negotiator)) & np.isin(seller.strategy, list(negotiator)))[
        :count
    ]
    low = int(np.floor(min(buyer.aspiration_price.min(), seller.floor_price.min())))
    high = int(np.ceil(max(buyer.reservation_price.max(), seller.base_price.max())))
    issues = [make_issue(name="price", values=(low, high))]
    agreements = 0
    began = time.perf_counter()
    for i in chosen:
        res, asp = float(buyer.reservation_price[i]), float(buyer.aspiration_price[i])
        floor, base = float(seller.floor_price[i]), float(seller.base_price[i])
        mechanism = SAOMechanism(issues=issues, n_steps=DEADLINE)
        mechanism.add(
            negotiator[Strategy(buyer.strategy[i])](name="buyer"),
            preferences=LinearAdditiveUtilityFunction(
                values={"price": AffineFun(slope=-1 / (res - asp), bias=res / (res - asp))},
                issues=issues,
                reserved_value=0.0,
            ),
        )
        mechanism.add(
            negotiator[Strategy(seller.strategy[i])](name="seller"),
            preferences=LinearAdditiveUtilityFunction(
                values={"price": AffineFun(slope=1 / (base - floor), bias=-floor / (base - floor))},
                issues=issues,
                reserved_value=0.0,
            ),
        )
        agreements += mechanism.run().agreement is not None
    wall = time.perf_counter() - began
    return {
        "negotiations": int(chosen.size),
        "wall_s": wall,
        "per_s": chosen.size / wall,
        "agreement_rate": agreements / chosen.size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--negmas-sample", type=int, default=200)
    args = parser.parse_args()
    ray.init(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    shards = int(ray.cluster_resources()["CPU"])
    aura(10_000, shards)  # warm-up: first worker starts and imports are not the engine's cost
    rows = [aura(int(size), shards) for size in args.sizes.split(",")]
    ray.shutdown()
    print(f"Aura, {shards} shards, deadline {DEADLINE}, 5 epochs of W2 loops, {os.cpu_count()} CPUs\n")
    print("| negotiations | wall (s) | negotiations/s | peak memory (MB) | agreement rate |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['negotiations']:,} | {row['wall_s']:.2f} | {row['per_s']:,.0f} | {row['peak_mb']:,.0f} | "
            f"{row['agreement_rate']:.3f} |"
        )
    if args.negmas_sample:
        negmas = negmas_sample(args.negmas_sample)
        best = max(row["per_s"] for row in rows)
        print(
            f"\nNegMAS (BoulwareTB / ConcederTB, same scenario, {negmas['negotiations']} negotiations): "
            f"{negmas['wall_s']:.1f} s, {negmas['per_s']:.2f} negotiations/s, agreement rate "
            f"{negmas['agreement_rate']:.3f}; Aura's best is {best / negmas['per_s']:,.0f}× faster."
        )


if __name__ == "__main__":
    main()
