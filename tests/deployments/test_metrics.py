"""Application metrics reach the node's Prometheus endpoint: after real traffic, Aura's counters have moved."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
import ray

from aura.auth import mint_token
from deployments.app import build_api

pytestmark = pytest.mark.usefixtures("ray_cluster")


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


async def test_requests_cell_steps_and_usage_show_on_the_prometheus_endpoint() -> None:
    headers = {"Authorization": f"Bearer {mint_token('metrics-eve')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://aura") as client:
        assert (await client.get("/v1/health")).status_code == 200
        session_id = (await client.post("/v1/aura/sessions", headers=headers)).json()["session_id"]
        chat = await client.post(
            "/v1/aura/chat", headers=headers, json={"prompt": "Design a cache for a REST API", "session_id": session_id}
        )
        assert chat.status_code == 200, chat.text
        assert (await client.get("/v1/no-such-route")).status_code == 404
    wanted = {
        ("aura_http_requests_total", (("route", "/v1/health"), ("method", "GET"), ("status", "200"))),
        ("aura_http_requests_total", (("route", "/v1/aura/chat"), ("method", "POST"), ("status", "200"))),
        ("aura_http_requests_total", (("route", "unmatched"), ("status", "404"))),
        ("aura_http_request_seconds_count", (("route", "/v1/aura/chat"),)),
        ("aura_cell_steps_total", (("status", "done"),)),
        ("aura_cell_step_seconds_count", ()),
        ("aura_usage_events_total", ()),
        ("aura_host_activations_total", (("group", "cell"),)),
    }
    deadline = time.monotonic() + 60  # Ray exports what processes record every few seconds
    while True:
        text = await asyncio.to_thread(scrape)
        missing = [(name, dict(labels)) for name, labels in wanted if total(text, name, **dict(labels)) < 1]
        if not missing or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert missing == [], "not on the Prometheus endpoint yet"
    assert "session_id" not in text and session_id not in text  # no ids in labels
