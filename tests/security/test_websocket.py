"""The session WebSocket: a token out of the URL, connections that end with their session or token, throttling."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from aura.auth import mint_token


async def _next(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 30))


def _url(base: str, session_id: str) -> str:
    return f"{base.replace('http', 'ws')}/v1/aura/ws?session_id={session_id}"


async def test_the_token_may_travel_as_a_subprotocol_and_never_in_the_url(api_app, serve, new_session) -> None:
    session_id = await new_session("sasha")
    async with serve(api_app) as base:
        protocols = ["aura.v1", f"bearer.{mint_token('sasha')}"]
        async with websockets.connect(_url(base, session_id), subprotocols=protocols) as ws:
            assert ws.subprotocol == "aura.v1"  # the server never echoes the token back
            assert (await _next(ws))["type"] == "connected"
        async with websockets.connect(_url(base, session_id), subprotocols=["aura.v1", "bearer.forged"]) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _next(ws)
    assert closed.value.rcvd.code == 1008


async def test_a_connection_closes_when_its_session_ends(api_app, serve, client, auth, new_session) -> None:
    session_id = await new_session("ending")
    async with serve(api_app) as base:
        async with websockets.connect(_url(base, session_id) + f"&token={mint_token('ending')}") as ws:
            assert (await _next(ws))["type"] == "connected"
            await client.post(f"/v1/aura/sessions/{session_id}/end", headers=auth("ending"))
            last = await _next(ws)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _next(ws)
        async with websockets.connect(_url(base, session_id) + f"&token={mint_token('ending')}") as ws:
            with pytest.raises(websockets.ConnectionClosed) as again:
                await _next(ws)  # an ended session takes no new connection
    assert last == {"type": "closed", "session_id": session_id, "reason": "session_ended"}
    assert closed.value.rcvd.code == 1000 and again.value.rcvd.code == 1000


async def test_a_connection_closes_when_its_token_expires(api_app, serve, new_session) -> None:
    session_id = await new_session("brief")
    async with serve(api_app) as base:
        async with websockets.connect(_url(base, session_id) + f"&token={mint_token('brief', ttl_s=2)}") as ws:
            assert (await _next(ws))["type"] == "connected"
            last = await _next(ws)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _next(ws)
    assert last["reason"] == "token_expired" and closed.value.rcvd.code == 1008


async def test_repeated_lattice_subscriptions_are_throttled(api_app, serve, new_session) -> None:
    session_id = await new_session("eager")
    async with serve(api_app) as base:
        async with websockets.connect(_url(base, session_id) + f"&token={mint_token('eager')}") as ws:
            assert (await _next(ws))["type"] == "connected"
            await ws.send(json.dumps({"type": "subscribe_lattice"}))
            assert (await _next(ws))["type"] == "lattice_update"
            for _ in range(4):  # within a second of the first snapshot
                await ws.send(json.dumps({"type": "subscribe_lattice"}))
            await ws.send(json.dumps({"type": "ping"}))
            events = []
            while (event := await _next(ws))["type"] != "pong":
                events.append(event)
    assert [e.get("code") for e in events] == ["throttled"] * 4, events
