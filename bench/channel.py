"""One batch to a host and back: as a Ray actor call, and as a frame on the host's channel.

    uv run python -m bench.channel [--rounds 2000] [--batch 10]

A host of counting actors (no persistence) answers the same batch of
`--batch` messages `--rounds` times, one batch in flight, first through a
Ray call to its `tell_many` (the baseline), then on its channel
(`actors/channel.py`), which is how coalescing groups such as the sellers
reach their hosts. Printed per round trip: wall time, and CPU in the
calling process and in the host. No target: the figures are what the
README says a channel saves.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
import ray

from actors import HostGroup, HostSpec
from actors.channel import HostChannel

ROOT = Path(__file__).resolve().parent.parent

Send = Callable[[list[tuple[str, Any]]], Awaitable[list[Any]]]


def cpu_s(process: psutil.Process) -> float:
    spent = process.cpu_times()
    return spent.user + spent.system


async def round_trips(send: Send, batch: list[tuple[str, Any]], rounds: int, host: psutil.Process) -> dict[str, float]:
    """Microseconds per round trip: wall, the caller's CPU and the host's CPU."""
    for _ in range(100):
        await send(batch)
    wall, own, hosted = time.perf_counter(), time.process_time(), cpu_s(host)
    for _ in range(rounds):
        await send(batch)
    return {
        "wall_us": (time.perf_counter() - wall) / rounds * 1e6,
        "caller_cpu_us": (time.process_time() - own) / rounds * 1e6,
        "host_cpu_us": (cpu_s(host) - hosted) / rounds * 1e6,
    }


async def measure(rounds: int, size: int) -> dict[str, dict[str, float]]:
    group = HostGroup.sharded(
        HostSpec(
            group=f"bench-channel-{os.getpid()}", actor_class="bench.actors:Tally", persistence="none", idle_ttl_s=None
        )
    )
    try:
        handle = group.handle(0)
        host = psutil.Process((await handle.stats.remote()).pid)
        batch = [(f"a{i}", None) for i in range(size)]
        channel = await HostChannel.open(await handle.channel.remote())
        try:
            return {
                "Ray call": await round_trips(lambda b: handle.tell_many.remote(b), batch, rounds, host),
                "channel": await round_trips(channel.call, batch, rounds, host),
            }
        finally:
            channel.close()
    finally:
        group.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10, help="Messages per batch.")
    args = parser.parse_args()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    try:
        rows = asyncio.run(measure(args.rounds, args.batch))
    finally:
        ray.shutdown()
    base = rows["Ray call"]
    print(f"one batch of {args.batch} messages to a host and back, {args.rounds} times, one in flight")
    print(f"{'path':<10} {'wall us':>9} {'caller CPU us':>14} {'host CPU us':>12} {'wall vs Ray call':>17}")
    for name, row in rows.items():
        print(
            f"{name:<10} {row['wall_us']:>9.0f} {row['caller_cpu_us']:>14.0f} {row['host_cpu_us']:>12.0f}"
            f" {row['wall_us'] / base['wall_us']:>16.2f}x"
        )


if __name__ == "__main__":
    main()
