"""The negotiation API under attack: malformed headers, DID spellings, floor inference, resends and session caps."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import asyncpg
import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from actors.host import Host, HostSpec
from negotiation.access import AccessDenied, Limits, SignedRequest
from negotiation.catalog import Catalog, CatalogItem
from negotiation.client import NegotiationClient
from negotiation.curve import MIN_MARGIN
from negotiation.desk import Answer, SignedBid
from negotiation.identity import AgentKey, key_from_did
from negotiation.seller import Bid

PATH = "/v1/negotiate"


def _signed(key: AgentKey, payload: dict, **override: bytes | str) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    headers: dict = {**key.sign_headers("POST", PATH, body, int(time.time())), "Content-Type": "application/json"}
    headers.update(override)
    return body, headers


async def _post(transport: httpx.ASGITransport, body: bytes, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        return await raw.post(PATH, content=body, headers=headers)


# -- one malformed header fails its own bid only ------------------------------------------------------------------


async def test_a_superscript_timestamp_is_a_401_not_a_500(transport: httpx.ASGITransport) -> None:
    # b"\xb9" decodes (latin-1) to "¹": str.isdigit() says yes, int() says no.
    body, headers = _signed(AgentKey.generate(), {"item_id": "t_linear", "bid_amount": 500}, **{"X-Timestamp": b"\xb9"})
    answer = await _post(transport, body, headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "clock_skew")


@pytest.mark.parametrize("stamp", ["0" + str(int(time.time())), "+" + str(int(time.time())), " 1", "1e9", "١٢٣"])
async def test_timestamps_must_be_canonical_ascii_seconds(transport: httpx.ASGITransport, stamp: str) -> None:
    body, headers = _signed(
        AgentKey.generate(), {"item_id": "t_linear", "bid_amount": 500}, **{"X-Timestamp": stamp.encode()}
    )
    answer = await _post(transport, body, headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "clock_skew")


def _signed_bid(key: AgentKey, item: str, amount: float, stamp: bytes | None = None) -> SignedBid:
    body = json.dumps({"item_id": item, "bid_amount": amount}).encode()
    headers = {k.lower(): v for k, v in key.sign_headers("POST", PATH, body, int(time.time())).items()}
    if stamp is not None:
        headers["x-timestamp"] = stamp.decode("latin-1")
    request = SignedRequest.from_headers("POST", PATH, headers, body)
    return SignedBid(request, Limits(100_000, 100_000, 60), None, "USD", None)  # type: ignore[arg-type]


async def test_in_one_batch_a_malformed_bid_fails_alone(catalog: Catalog, settings) -> None:
    """The desk itself, in this process, with one batch holding other agents' valid bids and a malformed one."""
    terms = await catalog.terms("t_linear")
    host = Host(
        HostSpec(
            group=f"sec-{uuid.uuid4().hex[:8]}",
            actor_class="negotiation.seller:Seller",
            intake="negotiation.desk:NegotiationDesk",
            persistence="none",
        ),
        "sec-desk",
    )
    batch = []
    for n in range(8):
        signed = _signed_bid(AgentKey.generate(), "t_linear", 500 + n, b"\xb9" if n == 3 else None)
        bid = Bid(
            session_token=f"ses_sec_{uuid.uuid4().hex}",
            new_session=True,
            buyer_did=signed.request.agent_did,
            terms=terms,
            amount=500 + n,
            confirmed=False,
            now=time.time(),
            session_ttl_s=60,
            max_rounds=8,
            target_score=0.5,
        )
        batch.append(("t_linear", SignedBid(signed.request, signed.limits, bid, "USD", None)))
    replies = await host.tell_many(batch)
    assert isinstance(replies[3], AccessDenied) and replies[3].code == "clock_skew"
    assert all(isinstance(r, Answer) and r.decision.status == "countered" for i, r in enumerate(replies) if i != 3)


_HEADERS = ["X-Agent-ID", "X-Timestamp", "X-Signature"]


@examples(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(_HEADERS), junk=st.binary(min_size=0, max_size=80))
async def test_random_bytes_in_a_signed_header_are_a_4xx_and_others_still_bid(
    transport: httpx.ASGITransport, header: str, junk: bytes
) -> None:
    honest = [NegotiationClient("http://test", transport=transport) for _ in range(3)]
    body, headers = _signed(AgentKey.generate(), {"item_id": "t_conceder", "bid_amount": 100}, **{header: junk})
    try:
        hostile, *fair = await asyncio.gather(
            _post(transport, body, headers),
            *(c.send("POST", PATH, {"item_id": "t_conceder", "bid_amount": 120}) for c in honest),
        )
    finally:
        for client in honest:
            await client.aclose()
    assert 400 <= hostile.status_code < 500, hostile.text
    assert hostile.json()["code"] in {"missing_headers", "clock_skew", "bad_did", "bad_signature"}
    assert [a.status_code for a in fair] == [200, 200, 200]


# -- one key is one agent, whichever way its DID is spelt -----------------------------------------------------------


def _spellings(key: AgentKey) -> list[str]:
    raw = key_from_did(key.did).hex()
    return [f"did:key:{raw.upper()}", f"did:key:{raw}", key.did]


async def test_three_spellings_of_one_did_share_one_rate_limit_and_its_deals(
    transport: httpx.ASGITransport, negotiation_env
) -> None:
    negotiation_env(rate_limit_per_minute=3)
    key = AgentKey.generate()
    remaining = []
    for n, spelling in enumerate(_spellings(key)):
        body, headers = _signed(key, {"item_id": "t_rule", "bid_amount": 450 + n}, **{"X-Agent-ID": spelling})
        answer = await _post(transport, body, headers)
        assert answer.status_code == 200, answer.text
        remaining.append(answer.headers["X-RateLimit-Remaining"])
    body, headers = _signed(key, {"item_id": "t_rule", "bid_amount": 449}, **{"X-Agent-ID": _spellings(key)[0]})
    limited = await _post(transport, body, headers)
    assert remaining == ["2", "1", "0"]
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")


async def test_deals_list_the_callers_own_whichever_spelling_made_them(
    transport: httpx.ASGITransport, new_agent
) -> None:
    key = AgentKey.generate()
    made = []
    for n, spelling in enumerate(_spellings(key)[:2]):
        body, headers = _signed(key, {"item_id": "t_rule", "bid_amount": 460 + n}, **{"X-Agent-ID": spelling})
        made.append((await _post(transport, body, headers)).json()["data"]["deal_id"])
    async with NegotiationClient("http://test", key=key, transport=transport) as agent:
        listed = (await agent.send("GET", "/v1/deals")).json()
    async with new_agent() as stranger:
        await stranger.negotiate("t_rule", 470)
        theirs = (await stranger.send("GET", "/v1/deals")).json()
    assert sorted(d["deal_id"] for d in listed["deals"]) == sorted(made)
    assert not set(made) & {d["deal_id"] for d in theirs["deals"]} and len(theirs["deals"]) == 1


# -- the floor cannot be fitted from the counters ------------------------------------------------------------------


def fitted_floor(base: float, counters: list[float], rounds: int) -> tuple[float, float]:
    """The floor and RMS residual of the best fit of `c = base − (base − floor)·t^(1/e)` over floor and e."""
    t = np.arange(1, len(counters) + 1) / rounds
    conceded = base - np.asarray(counters)
    best = (np.inf, 0.0)
    for exponent in np.geomspace(0.02, 50.0, 4000):
        shape = t ** (1.0 / exponent)
        spread = float(conceded @ shape / (shape @ shape))
        residual = float(np.sqrt(np.mean((conceded - spread * shape) ** 2)))
        best = min(best, (residual, base - spread))
    return best[1], best[0]


@pytest.mark.parametrize("style", ["boulware", "linear", "conceder"])
async def test_fitting_the_public_curve_to_every_counter_misses_the_floor(
    transport: httpx.ASGITransport, catalog: Catalog, style: str
) -> None:
    item = CatalogItem(
        id=f"fit_{style}_{uuid.uuid4().hex[:6]}",
        name="Fit Room",
        base_price=1000,
        floor_price=700,
        concession=style,
        confirm_threshold=5000,
    )
    await catalog.load([item])
    spread = item.base_price - item.floor_price
    async with NegotiationClient("http://test", transport=transport) as agent:
        for _ in range(4):
            counters, token = [], None
            for _ in range(7):  # every counter of an 8-round session
                answer = await agent.negotiate(item.id, 1.0, session_token=token)
                token = answer.session_token
                counters.append(answer.data.proposed_price)
            floor, residual = fitted_floor(item.base_price, counters, 8)
            # The fit is good (the counters do follow the public formula) and still lands above the floor.
            assert residual < 0.05 * spread
            assert floor - item.floor_price >= MIN_MARGIN * spread - 1.0, (counters, floor)


# -- resends: the same answer, never a second deal -----------------------------------------------------------------


async def test_a_resend_with_the_same_key_gets_the_same_deal(
    agent: NegotiationClient, transport, db: asyncpg.Pool
) -> None:
    opened = await agent.negotiate("t_linear", 500)
    payload = {"item_id": "t_linear", "bid_amount": 999, "session_token": opened.session_token}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first, second = [await _post(transport, *_with(agent, payload, key)) for _ in range(2)]
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["status"] == "accepted"
    assert await db.fetchval("SELECT count(*) FROM deals WHERE session_token = $1", opened.session_token) == 1
    other = await _post(transport, *_with(agent, {**payload, "bid_amount": 998}, key))
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


async def test_a_resent_first_bid_gets_the_session_its_first_sending_opened(
    agent: NegotiationClient, transport
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    payload = {"item_id": "t_linear", "bid_amount": 500}
    first, second = [await _post(transport, *_with(agent, payload, key)) for _ in range(2)]
    assert first.json()["session_token"] == second.json()["session_token"]
    assert first.json() == second.json()


def _with(agent: NegotiationClient, payload: dict, extra: dict) -> tuple[bytes, dict]:
    """A freshly signed request (a resend is signed anew) with `extra` headers."""
    body = json.dumps(payload).encode()
    stamp = agent._stamp("POST", PATH, body)
    return body, {**agent.key.sign_headers("POST", PATH, body, stamp), "Content-Type": "application/json", **extra}


async def test_one_agent_cannot_fill_an_items_sessions(transport: httpx.ASGITransport, negotiation_env) -> None:
    negotiation_env(max_buyer_sessions=3)
    async with NegotiationClient("http://test", transport=transport) as agent:
        answers = [await agent.send("POST", PATH, {"item_id": "t_conceder", "bid_amount": 100}) for _ in range(4)]
        ongoing = await agent.send(
            "POST",
            PATH,
            {"item_id": "t_conceder", "bid_amount": 110, "session_token": answers[0].json()["session_token"]},
        )
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "too_many_sessions" and "Retry-After" in answers[3].headers
    assert ongoing.status_code == 200  # the sessions it holds go on
