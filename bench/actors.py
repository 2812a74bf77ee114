"""Logical actors on one host against dedicated Ray actors: activation, memory, messages/s.

    uv run python -m bench.actors [--actors 100000] [--dedicated 4]

Targets (issue 2): ≥ 100 k logical actors activated in ≤ 1 s per host,
≤ 2 KB per idle actor, ≥ 50 k messages/s per host with `tell_many`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import ray

from actors import HostGroup, HostSpec, LogicalActor, Persistence
from aura.store import embedded, migrate

ROOT = Path(__file__).resolve().parent.parent

BATCH = 10_000


class Tally(LogicalActor):
    """The smallest useful actor: counts the messages it gets."""

    __slots__ = ("count",)
    kind = "bench_tally"
    traced = False

    def __init__(self, actor_id: str) -> None:
        super().__init__(actor_id)
        self.count = 0

    def receive(self, message: Any) -> int:
        self.count += 1
        return self.count

    def save_state(self) -> dict:
        return {"count": self.count}

    def load_state(self, state: dict) -> None:
        self.count = state["count"]


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def batched(host, messages: list[tuple[str, Any]]) -> float:
    """Seconds to deliver `messages` in `BATCH`-sized tell_many calls, one in flight per batch pair."""
    started = time.perf_counter()
    calls = [host.tell_many.remote(messages[i : i + BATCH]) for i in range(0, len(messages), BATCH)]
    await asyncio.gather(*calls)
    return time.perf_counter() - started


async def logical(n: int, persistence: Persistence) -> dict[str, float]:
    group = HostGroup.sharded(
        HostSpec(
            group=f"bench-{persistence}-{os.getpid()}",
            actor_class="bench.actors:Tally",
            persistence=persistence,
            idle_ttl_s=None,
        )
    )
    host = group.handle(0)
    stats = await host.stats.remote()
    before = rss(stats.pid)
    ids = [f"a{i}" for i in range(n)]
    activation = await batched(host, [(i, None) for i in ids])
    await asyncio.sleep(0.5)
    after = rss(stats.pid)
    messages = [(ids[i % n], None) for i in range(5 * n)]
    delivery = await batched(host, messages)
    group.kill()
    return {
        "activation_s": activation,
        "bytes_per_actor": (after - before) / n,
        "messages_per_s": len(messages) / delivery,
    }


async def restore_from_postgres(n: int) -> float:
    """Seconds for a fresh host to activate `n` actors that all have saved state."""
    group = HostGroup.sharded(
        HostSpec(
            group=f"bench-restore-{os.getpid()}",
            actor_class="bench.actors:Tally",
            persistence="write_behind",
            idle_ttl_s=None,
        )
    )
    host = group.handle(0)
    ids = [f"r{i}" for i in range(n)]
    await batched(host, [(i, None) for i in ids])
    await host.flush.remote()
    group.kill()
    fresh = HostGroup.sharded(group.spec)
    await fresh.handle(0).ping.remote()
    seconds = await batched(fresh.handle(0), [(i, None) for i in ids])
    fresh.kill()
    return seconds


async def dedicated(k: int, messages: int) -> dict[str, float]:
    spec = HostSpec(
        group=f"bench-dedicated-{os.getpid()}", actor_class="bench.actors:Tally", persistence="none", idle_ttl_s=None
    )
    started = time.perf_counter()
    groups = [HostGroup.dedicated(spec, f"d{i}") for i in range(k)]
    await asyncio.gather(*(g.tell("only", None) for g in groups))
    activation = time.perf_counter() - started
    pids = [(await g.handle(0).stats.remote()).pid for g in groups]
    memory = sum(rss(p) for p in pids) / k
    started = time.perf_counter()
    await asyncio.gather(*(groups[i % k].tell("only", None) for i in range(messages)))
    per_call = messages / (time.perf_counter() - started)
    for g in groups:
        g.kill()
    return {"activation_s": activation / k, "bytes_per_actor": memory, "messages_per_s": per_call}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--dedicated", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="aura-bench-actors-"))
    pgdata = workdir / "pg"
    url = embedded.start(pgdata)
    asyncio.run(migrate(url))
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "AURA_DATABASE_URL": url}},
    )
    try:
        n = args.actors
        memory_only = asyncio.run(logical(n, "none"))
        persisted = asyncio.run(logical(n, "write_behind"))
        restore = asyncio.run(restore_from_postgres(n))
        ray_actors = asyncio.run(dedicated(args.dedicated, 2_000))
    finally:
        ray.shutdown()
        embedded.stop(pgdata)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'measure':44} {'logical (1 host)':>18} {'dedicated Ray actor':>20} {'ratio':>10}")
    rows = [
        (f"activate {n:,} actors, s (memory only)", memory_only["activation_s"], ray_actors["activation_s"] * n),
        ("activation rate, actors/s", n / memory_only["activation_s"], 1 / ray_actors["activation_s"]),
        ("memory per idle actor, bytes", memory_only["bytes_per_actor"], ray_actors["bytes_per_actor"]),
        ("messages/s (tell_many vs one call each)", memory_only["messages_per_s"], ray_actors["messages_per_s"]),
    ]
    for name, ours, theirs in rows:
        ratio = theirs / ours if "s (memory" in name or "bytes" in name else ours / theirs
        print(f"{name:44} {ours:>18,.3f} {theirs:>20,.3f} {ratio:>9,.0f}x")
    print()
    print(
        f"with write-behind persistence: activate {n:,} in {persisted['activation_s']:.3f} s, "
        f"{persisted['messages_per_s']:,.0f} messages/s"
    )
    print(f"activate {n:,} actors from saved state in PostgreSQL: {restore:.3f} s")
    print("targets: activation <= 1 s per 100k, <= 2048 bytes per idle actor, >= 50,000 messages/s per host")


if __name__ == "__main__":
    main()
