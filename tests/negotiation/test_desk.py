"""The seller hosts' desk: bids are admitted next to their seller, and every decision is stored before its answer."""

from __future__ import annotations

import json
import time

import asyncpg
import httpx
import pytest

from negotiation.client import NegotiationClient
from negotiation.identity import AgentKey


async def _offers(db: asyncpg.Pool, session_token: str) -> list[tuple[int, str]]:
    rows = await db.fetch("SELECT round, status FROM offers WHERE session_token = $1 ORDER BY round", session_token)
    return [(row["round"], row["status"]) for row in rows]


async def test_a_replayed_bid_is_refused_before_its_seller_sees_it(agent: NegotiationClient, db: asyncpg.Pool) -> None:
    opened = await agent.negotiate("t_linear", 500)
    payload = {"item_id": "t_linear", "bid_amount": 520, "session_token": opened.session_token}
    stamp = int(time.time())
    first = await agent.send("POST", "/v1/negotiate", payload, timestamp=stamp)
    again = await agent.send("POST", "/v1/negotiate", payload, timestamp=stamp)
    assert first.status_code == 200 and first.json()["status"] == "countered"
    assert (again.status_code, again.json()["code"]) == (401, "replayed")
    third = await agent.negotiate("t_linear", 540, session_token=opened.session_token)
    assert third.status == "countered"
    # Three admitted bids, three rounds: the replay never reached the seller, and was not stored.
    assert await _offers(db, opened.session_token) == [(1, "countered"), (2, "countered"), (3, "countered")]


def _bid(body: dict, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {**headers, "Content-Type": "application/json"}


@pytest.mark.parametrize("forgery", ["bad_signature", "bad_did", "clock_skew"])
async def test_a_forged_bid_is_refused_at_the_desk_and_changes_nothing(
    transport: httpx.ASGITransport, negotiation_env, db: asyncpg.Pool, forgery: str
) -> None:
    negotiation_env(rate_limit_per_minute=5)
    key, stamp = AgentKey.generate(), int(time.time())
    payload = {"item_id": "t_linear", "bid_amount": 900}
    body, headers = _bid(payload, key.sign_headers("POST", "/v1/negotiate", json.dumps(payload).encode(), stamp))
    if forgery == "bad_signature":
        body = json.dumps({**payload, "bid_amount": 999}).encode()  # signed for 900
    elif forgery == "bad_did":
        headers["X-Agent-ID"] = "did:key:z6MkNotAKey"
    else:
        body, headers = _bid(payload, key.sign_headers("POST", "/v1/negotiate", body, stamp - 600))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        forged = await raw.post("/v1/negotiate", content=body, headers=headers)
    assert (forged.status_code, forged.json()["code"]) == (401, forgery)
    assert "X-RateLimit-Remaining" not in forged.headers
    async with NegotiationClient("http://test", transport=transport, key=key) as agent:
        honest = await agent.send("POST", "/v1/negotiate", payload)
    # The forgery spent none of the agent's tokens and left no negotiation behind.
    assert honest.status_code == 200 and honest.headers["X-RateLimit-Remaining"] == "4"
    assert await db.fetchval("SELECT count(*) FROM negotiations WHERE buyer_did = $1", key.did) == 1


async def test_a_bid_whose_body_fails_is_refused_for_its_body_whatever_its_signature(
    rayless_transport: httpx.ASGITransport,
) -> None:
    forged = {"X-Agent-ID": AgentKey.generate().did, "X-Timestamp": str(int(time.time())), "X-Signature": "00" * 64}
    async with httpx.AsyncClient(transport=rayless_transport, base_url="http://test") as raw:
        malformed = await raw.post(
            "/v1/negotiate", content=b'{"item_id": "t_linear",', headers={**forged, "Content-Type": "application/json"}
        )
        negative = await raw.post("/v1/negotiate", json={"item_id": "t_linear", "bid_amount": -5}, headers=forged)
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    assert (negative.status_code, negative.json()["code"]) == (422, "invalid_request")


async def test_an_unsigned_bid_is_refused_by_the_gateway(transport: httpx.ASGITransport) -> None:
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        answer = await raw.post("/v1/negotiate", json={"item_id": "t_linear", "bid_amount": 900})
    assert (answer.status_code, answer.json()["code"]) == (401, "missing_headers")


async def test_bids_spend_the_agents_tokens_and_a_limited_one_is_not_stored(
    transport, negotiation_env, db: asyncpg.Pool
) -> None:
    negotiation_env(rate_limit_per_minute=3)
    async with NegotiationClient("http://test", transport=transport) as agent:
        answers = [
            await agent.send("POST", "/v1/negotiate", {"item_id": "t_conceder", "bid_amount": 100 + i})
            for i in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert limited.json()["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    stored = await db.fetchval("SELECT count(*) FROM negotiations WHERE buyer_did = $1", agent.did)
    assert stored == 3


async def test_a_bid_refused_before_any_seller_is_still_admitted(rayless_transport, negotiation_env) -> None:
    negotiation_env(rate_limit_per_minute=5)
    async with NegotiationClient("http://test", transport=rayless_transport) as agent:
        payload, stamp = {"item_id": "no_such_item", "bid_amount": 10}, int(time.time())
        unknown = await agent.send("POST", "/v1/negotiate", payload, timestamp=stamp)
        replayed = await agent.send("POST", "/v1/negotiate", payload, timestamp=stamp)
        currency = await agent.send("POST", "/v1/negotiate", {"item_id": "t_rule", "bid_amount": 10, "currency": "XXY"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_item")
    assert unknown.headers["X-RateLimit-Remaining"] == "4"
    assert (replayed.status_code, replayed.json()["code"]) == (401, "replayed")
    assert (currency.status_code, currency.json()["code"]) == (422, "unknown_currency")
    assert currency.headers["X-RateLimit-Remaining"] == "3"


async def test_the_answer_says_where_its_time_went(agent: NegotiationClient) -> None:
    answer = await agent.send("POST", "/v1/negotiate", {"item_id": "t_rule", "bid_amount": 450})
    timings = dict(part.strip().split(";dur=") for part in answer.headers["Server-Timing"].split(","))
    assert set(timings) == {"app", "seller"}
    assert 0 <= float(timings["seller"]) <= float(timings["app"])


async def _rounds(db: asyncpg.Pool, token: str) -> list[tuple[int, str, float | None]]:
    rows = await db.fetch("SELECT round, status, price FROM offers WHERE session_token = $1 ORDER BY id", token)
    return [(r["round"], r["status"], r["price"]) for r in rows]


@pytest.mark.parametrize("persistence", ["none", "write_behind"])
async def test_a_restarted_seller_follows_the_stored_rows_not_its_lost_or_stale_memory(
    ray_cluster, catalog, negotiation_env, db: asyncpg.Pool, persistence: str
) -> None:
    """`none` loses the session with the host; `write_behind` brings back a snapshot a round behind the rows."""
    import uuid

    import ray

    from actors import HostGroup, HostSpec
    from aura.settings import get_settings
    from deployments.app import build_api
    from negotiation.service import NegotiationService

    sellers = HostGroup.sharded(
        HostSpec(
            group=f"seller-desk-{uuid.uuid4().hex[:8]}",
            actor_class="negotiation.seller:Seller",
            intake="negotiation.desk:NegotiationDesk",
            persistence=persistence,
            flush_interval_s=3600.0,
            idle_ttl_s=None,
        ),
        coalesce=True,
    )
    app = build_api()
    app.state.replica.provide("negotiation", NegotiationService(db, get_settings().negotiation, sellers))
    try:
        async with NegotiationClient("http://test", transport=httpx.ASGITransport(app=app)) as agent:
            first = await agent.negotiate("t_linear", 500)
            await sellers.handle(0).flush.remote()  # the snapshot holds round 1 only
            second = await agent.negotiate("t_linear", 510, session_token=first.session_token)
            ray.kill(sellers.handle(0), no_restart=False)
            third = await agent.negotiate("t_linear", 520, session_token=first.session_token)
        assert third.status == "countered"
        assert third.data.proposed_price < second.data.proposed_price < first.data.proposed_price
        assert [r[:2] for r in await _rounds(db, first.session_token)] == [
            (1, "countered"),
            (2, "countered"),
            (3, "countered"),
        ]
    finally:
        sellers.kill()
