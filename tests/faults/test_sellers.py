"""A seller's host gone for good: bids get a prompt 503 with Retry-After (never a hang or a 500), the host is made
again, and the negotiation continues from what was stored."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import ray

from actors import host_index
from deployments.app import build_api
from deployments.supervision import supervisor
from negotiation.client import NegotiationClient
from tests.faults.conftest import recovered

pytestmark = pytest.mark.usefixtures("ray_cluster", "catalog", "negotiation_env")

ITEM = "t_linear"  # base 1000, floor 800: a linear concession over the session's rounds
#: How long a request may take at most before it counts as hanging (the default wait is 2 s).
HANG_S = 10.0
#: Recovery bound stated for a host: the issue's target is 5 s, with slack for a loaded test machine.
RECOVERY_S = 30.0


def bid(session_token: str | None, amount: float) -> dict[str, Any]:
    body: dict[str, Any] = {"item_id": ITEM, "bid_amount": amount, "currency": "USD"}
    if session_token is not None:
        body["session_token"] = session_token
    return body


async def test_bids_get_a_prompt_503_while_the_seller_host_is_gone_and_the_session_continues_after() -> None:
    app = build_api()
    async with NegotiationClient("http://test", transport=httpx.ASGITransport(app=app), resends=0) as agent:
        opened = await agent.send("POST", "/v1/negotiate", bid(None, 500))
        assert opened.status_code == 200, opened.text
        token, first_counter = opened.json()["session_token"], opened.json()["data"]["proposed_price"]
        sellers = app.state.replica.built("negotiation").sellers
        ray.kill(sellers.handle(host_index(ITEM, len(sellers.names))), no_restart=True)

        during: list[httpx.Response] = []

        async def next_bid() -> httpx.Response | None:
            answer = await asyncio.wait_for(agent.send("POST", "/v1/negotiate", bid(token, 520)), HANG_S)
            if answer.status_code == 200:
                return answer
            during.append(answer)
            return None

        after = await recovered(next_bid, RECOVERY_S)
    for refused in during:
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "seller_unavailable" and int(refused.headers["Retry-After"]) >= 1
    assert after.json()["session_token"] == token
    second_counter = after.json()["data"]["proposed_price"]
    assert 800 <= second_counter < first_counter  # the seller remembered the session and conceded from there


async def test_the_supervisor_makes_a_host_gone_for_good_again_without_any_request() -> None:
    app = build_api()
    watcher = supervisor(app.state.replica)
    before = await watcher.check()
    sellers = watcher._own_sellers()
    gone = sellers.handle(0)
    gone_id = gone._actor_id.hex()
    ray.kill(gone, no_restart=True)

    async def made_again() -> str | None:
        groups = await watcher.check()
        if groups["seller"].state != "alive":
            return None
        found = ray.get_actor(sellers.names[0], namespace="aura")
        return found._actor_id.hex()

    new_id = await recovered(made_again, RECOVERY_S)
    assert before["seller"].total == len(sellers.names)
    assert new_id != gone_id


async def test_concurrent_bids_after_a_host_died_are_all_served_by_the_one_made_again() -> None:
    app = build_api()
    transport = httpx.ASGITransport(app=app)
    agents = [NegotiationClient("http://test", transport=transport, resends=5) for _ in range(8)]
    try:
        await agents[0].negotiate(ITEM, 500)
        sellers = app.state.replica.built("negotiation").sellers
        index = host_index(ITEM, len(sellers.names))
        ray.kill(sellers.handle(index), no_restart=True)
        answers = await asyncio.gather(*(a.send("POST", "/v1/negotiate", bid(None, 450)) for a in agents))
        assert {a.status_code for a in answers} <= {200, 503}

        async def everyone_served() -> bool | None:
            again = await asyncio.gather(*(a.send("POST", "/v1/negotiate", bid(None, 450)) for a in agents))
            return True if all(a.status_code == 200 for a in again) else None

        await recovered(everyone_served, RECOVERY_S)
    finally:
        for a in agents:
            await a.aclose()
    # Every caller found the one host Ray knows by that name (names are unique in a namespace).
    by_name = ray.get_actor(sellers.names[index], namespace="aura")
    assert (await sellers.call(index, "stats")).pid == (await by_name.stats.remote()).pid


async def test_health_is_degraded_naming_the_sellers_while_their_host_comes_back(core_env) -> None:
    core_env(host_wait_s=0.05)  # shorter than a host's start: the check sees it coming back
    app = build_api()
    sellers = supervisor(app.state.replica)._own_sellers()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await recovered(lambda: _state(client, "alive"), RECOVERY_S)
        ray.kill(sellers.handle(0), no_restart=True)
        coming_back = await recovered(lambda: _state(client, "re-creating"), RECOVERY_S, pause_s=0.0)
        assert coming_back.status_code == 503 and "seller" in coming_back.json()["failed"]
        assert coming_back.json()["status"] == "degraded" and coming_back.json()["database"]["ok"]
        back = await recovered(lambda: _state(client, "alive"), RECOVERY_S)
    assert back.json()["hosts"]["seller"]["alive"] == len(sellers.names)


async def _state(client: httpx.AsyncClient, state: str) -> httpx.Response | None:
    """The health answer if it shows the sellers in `state`."""
    answer = await client.get("/v1/health")
    return answer if answer.json()["hosts"]["seller"]["state"] == state else None
