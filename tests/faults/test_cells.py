"""A cell's host gone for good mid-session: the chat gets a prompt 503 with Retry-After, the session's WebSocket an
`error` event and stays open, and once the host is made again the next chat succeeds with the cell's memory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
import ray
import websockets

from aura import NAMESPACE
from aura.auth import mint_token
from deployments.app import build_api
from tests.faults.conftest import recovered
from tests.prometheus import missing_after_export

pytestmark = pytest.mark.usefixtures("ray_cluster")

PROMPT = "Please check this:\n```python\ndef size(items=[]):\n    return len(items)\n```\n"
RECOVERY_S = 60.0


async def test_a_chat_whose_cell_host_is_gone_gets_a_503_and_the_socket_an_error_event(
    core_env: Callable[..., None], serve
) -> None:
    core_env(host_wait_s=0.05)  # shorter than any host's start: the chat cannot wait it out
    app = build_api()
    headers = {"Authorization": f"Bearer {mint_token('fay')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=120) as client:
        session_id = (await client.post("/v1/aura/sessions", headers=headers)).json()["session_id"]
        chat = {"prompt": PROMPT, "session_id": session_id}
        assert (await client.post("/v1/aura/chat", headers=headers, json=chat)).status_code == 200
        async with serve(app) as base:
            url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('fay')}"
            async with websockets.connect(url) as ws:
                assert json.loads(await ws.recv())["type"] == "connected"
                ray.kill(ray.get_actor("aura:cell:reviewer", namespace=NAMESPACE), no_restart=True)

                refused = await asyncio.wait_for(client.post("/v1/aura/chat", headers=headers, json=chat), 30)
                assert refused.status_code == 503, refused.text
                assert refused.json()["code"] == "host_unreachable" and int(refused.headers["Retry-After"]) >= 1
                events = []
                while not events or events[-1]["type"] != "error":
                    events.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
                assert events[-1]["code"] == "host_unreachable"
                await ws.send(json.dumps({"type": "ping"}))
                while (event := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != "pong":
                    assert event["type"] != "session_closed"

        async def served() -> httpx.Response | None:
            answer = await client.post("/v1/aura/chat", headers=headers, json=chat)
            assert answer.status_code in (200, 503), answer.text
            return answer if answer.status_code == 200 else None

        after = await recovered(served, RECOVERY_S, pause_s=1.0)
    reviews = [r for r in after.json()["agent_responses"] if r["agent_type"] == "reviewer"]
    assert reviews and all(r["metrics"]["error"] is None for r in reviews)
    reviewer = await app.state.replica.built("lattice").directory.snapshot("reviewer", session_id)
    assert reviewer["memory"]["notes"]["steps"] >= 3  # the first chat's reviews were restored, then the new ones
    missing, _ = await missing_after_export(
        [("aura_unavailable_total", {"code": "host_unreachable"}), ("aura_host_recreations_total", {"group": "cell"})]
    )
    assert missing == [], "the refusal and the re-creation are not counted on the Prometheus endpoint"
