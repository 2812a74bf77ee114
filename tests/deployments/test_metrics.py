"""Application metrics reach the node's Prometheus endpoint: after real traffic, Aura's counters have moved."""

from __future__ import annotations

import uuid

import httpx
import pytest

from aura.auth import mint_token
from deployments.app import build_api
from tests.prometheus import missing_after_export

pytestmark = pytest.mark.usefixtures("ray_cluster")


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
    missing, text = await missing_after_export(
        [
            ("aura_http_requests_total", {"route": "/v1/health", "method": "GET", "status": "200"}),
            ("aura_http_requests_total", {"route": "/v1/aura/chat", "method": "POST", "status": "200"}),
            ("aura_http_requests_total", {"route": "unmatched", "status": "404"}),
            ("aura_http_request_seconds_count", {"route": "/v1/aura/chat"}),
            ("aura_cell_steps_total", {"status": "done"}),
            ("aura_cell_step_seconds_count", {}),
            ("aura_usage_events_total", {}),
            ("aura_host_activations_total", {"group": "cell"}),
        ]
    )
    assert missing == [], "not on the Prometheus endpoint yet"
    # No ids in labels: neither a session_id label nor this session's id (route templates name it, in braces).
    assert 'session_id="' not in text and session_id not in text


async def test_rate_limit_refusals_are_counted_by_the_kind_of_bucket(core_env) -> None:
    core_env(search_per_minute=1)
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=build_api(), client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://aura") as client:
        answers = [await client.post("/v1/search", json={"query": "hotel"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    missing, text = await missing_after_export(
        [
            ("aura_rate_limited_total", {"bucket": "search"}),
            ("aura_http_requests_total", {"route": "/v1/search", "method": "POST", "status": "429"}),
        ]
    )
    assert missing == [], "not on the Prometheus endpoint yet"
    assert address not in text  # the bucket's kind, not the address it is for
