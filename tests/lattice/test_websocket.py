"""The session WebSocket: event order for a full chat, lattice subscription, ping, 1008 and slow-consumer closes."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from aura.auth import mint_token
from lattice.events import Pong

PROMPT = "Please check this:\n```python\nimport os\n\ndef size(items=[]):\n    return len(items)\n```\n"


async def _next(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 60))


async def test_full_chat_streams_events_in_order(api_app, serve, client, auth, new_session) -> None:
    session_id = await new_session("wendy")
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('wendy')}"
        async with websockets.connect(url) as ws:
            assert (await _next(ws))["type"] == "connected"
            await ws.send(json.dumps({"type": "subscribe_lattice"}))
            first = await _next(ws)
            assert first["type"] == "lattice_update" and first["lattice"]["active_agents"] == 0
            await ws.send(json.dumps({"type": "ping"}))
            assert (await _next(ws))["type"] == "pong"

            chat = asyncio.create_task(
                client.post("/v1/aura/chat", headers=auth("wendy"), json={"prompt": PROMPT, "session_id": session_id})
            )
            events: list[dict] = []
            while not (
                events
                and events[-1]["type"] == "agent_update"
                and events[-1]["agent_type"] == "synthesizer"
                and events[-1]["status"] == "done"
            ):
                events.append(await _next(ws))
            body = (await chat).json()
            # The response waits for the last lattice refresh, so every update is queued by now; a refresh
            # that started earlier may still come first. A pong shares the queue: read up to it.
            await ws.send(json.dumps({"type": "ping"}))
            while (event := await _next(ws))["type"] != "pong":
                events.append(event)

    steps = [r["metrics"]["step_id"] for r in body["agent_responses"]]
    assert [r["agent_type"] for r in body["agent_responses"]] == ["reviewer", "engineer", "reviewer", "synthesizer"]
    for step_id, answer in zip(steps, body["agent_responses"], strict=True):
        mine = [e for e in events if e.get("step_id") == step_id]
        kinds = [e["status"] if e["type"] == "agent_update" else e["type"] for e in mine]
        assert kinds[0] == "started" and kinds[1] == "working" and kinds[-1] == "done", kinds
        assert set(kinds[2:-1]) == {"response_chunk"}
        assert "".join(e["content"] for e in mine if e["type"] == "response_chunk") == answer["response"]
        assert all(e["iteration"] == answer["metrics"]["iteration"] for e in mine if e["type"] == "agent_update")
    # Steps run one after another in this workflow: each starts after the previous one is done.
    starts = [events.index(next(e for e in events if e.get("step_id") == s)) for s in steps]
    assert starts == sorted(starts)
    updates = [i for i, e in enumerate(events) if e["type"] == "lattice_update"]
    first_done = next(i for i, e in enumerate(events) if e.get("status") == "done")
    assert updates and updates[-1] > first_done
    last = events[updates[-1]]["lattice"]
    assert last["active_agents"] == 3 and last["total_interactions"] >= 0


@pytest.mark.parametrize("case", ["bad_token", "foreign_session", "missing_token"])
async def test_bad_token_or_foreign_session_closes_with_1008(api_app, serve, new_session, case) -> None:
    session_id = await new_session("olga")
    token = {"bad_token": "not.a.token", "foreign_session": mint_token("mallory"), "missing_token": ""}[case]
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={token}"
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _next(ws)
    assert closed.value.rcvd.code == 1008


async def test_quantum_metrics_come_in_the_response_or_follow_on_the_websocket(
    api_app, serve, client, auth, new_session
) -> None:
    session_id = await new_session("quinn")
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('quinn')}"
        async with websockets.connect(url) as ws:
            assert (await _next(ws))["type"] == "connected"
            answer = await client.post(
                "/v1/aura/chat",
                headers=auth("quinn"),
                json={"prompt": "Build a todo list API", "session_id": session_id, "quantum_enhanced": True},
            )
            body = answer.json()
            metrics, backend = body["consciousness_metrics"], body["quantum_backend_used"]
            if metrics is None:
                assert "WebSocket" in body["quantum_reason"]
                while True:
                    event = await _next(ws)
                    if event["type"] == "quantum_metrics":
                        break
                metrics, backend = event["consciousness_metrics"], event["quantum_backend_used"]
    assert backend == "aer", (metrics, backend)
    assert set(metrics) == {"phi", "gamma", "lambda", "w2"}
    assert 0.0 <= metrics["phi"] <= 1.0 and 0.0 <= metrics["gamma"] <= 1.0 and 0.0 <= metrics["w2"] <= 1.0
    assert 0.0 <= metrics["lambda"] <= 2.2e-8
    usage = (await client.get("/v1/aura/usage", headers=auth("quinn"))).json()
    assert {line["event_type"] for line in usage["lines"]} == {"agent_call", "message", "quantum_exec"}


async def test_a_client_that_falls_behind_gets_the_queued_events_then_an_error_and_1013(
    api_app, serve, new_session
) -> None:
    session_id = await new_session("sam")
    svc = api_app.state.replica.built("lattice")
    size = svc.settings.ws_queue_size
    async with serve(api_app) as base:
        url = f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}&token={mint_token('sam')}"
        async with websockets.connect(url) as ws:
            assert (await _next(ws))["type"] == "connected"
            # Published faster than any connection drains: the queue fills and the rest are dropped.
            for _ in range(size + 10):
                svc.bus.publish(session_id, Pong())
            received: list[dict] = []

            async def drain() -> None:
                while True:
                    received.append(await _next(ws))

            with pytest.raises(websockets.ConnectionClosed) as closed:
                await drain()
    assert [e["type"] for e in received] == ["pong"] * size + ["error"]
    assert received[-1]["code"] == "slow_consumer" and "10 dropped" in received[-1]["detail"]
    assert closed.value.rcvd.code == 1013
