"""Reading Aura's metrics as Prometheus does: from this node's metrics export endpoint, until they arrive."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import ray

Wanted = tuple[str, dict[str, str]]


def scrape() -> str:
    """This node's Prometheus exposition, as a Prometheus server would scrape it."""
    port = ray._private.worker.global_worker.node.metrics_export_port
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def total(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (Ray exports it as `ray_<name>`)."""
    found = 0.0
    for line in text.splitlines():
        match = re.match(rf"^ray_{name}\{{(.*)\}} ([0-9.e+-]+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            found += float(match.group(2))
    return found


async def missing_after_export(wanted: list[Wanted], timeout_s: float = 60.0) -> tuple[list[Wanted], str]:
    """Those of `wanted` still at zero once Ray has had `timeout_s` to export (it does every few seconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = await asyncio.to_thread(scrape)
        missing = [(name, labels) for name, labels in wanted if total(text, name, **labels) < 1]
        if not missing or time.monotonic() > deadline:
            return missing, text
        await asyncio.sleep(1)
