"""The `llm` strategy through the real `mistralai` SDK against a local server speaking Mistral's wire format."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from aura.settings import get_settings
from deployments.app import build_api
from negotiation.client import NegotiationClient
from negotiation.curve import curve_secret, session_curve
from negotiation.guard import mentions_value
from negotiation.service import NegotiationService, seller_group
from tests.negotiation.mistral_stub import MistralStub, Script, start


@pytest.fixture(scope="module")
def mistral() -> Iterator[MistralStub]:
    stub, server = start()
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def llm_sellers(mistral: MistralStub, ray_cluster):
    """Seller hosts of their own whose processes hold the Mistral settings: the key never travels with a bid."""
    group = seller_group(
        get_settings().negotiation,
        group=f"seller-llm-{uuid.uuid4().hex[:8]}",
        env={"AURA_MISTRAL_API_KEY": "test-key", "AURA_MISTRAL_SERVER_URL": mistral.url, "AURA_LLM_TIMEOUT_MS": "400"},
    )
    yield group
    group.kill()


@pytest.fixture
async def llm_agent(mistral: MistralStub, llm_sellers, catalog, negotiation_env, db: asyncpg.Pool):
    mistral.script = Script()
    mistral.requests.clear()
    app = build_api()
    app.state.replica.provide("negotiation", NegotiationService(db, get_settings().negotiation, llm_sellers))
    async with NegotiationClient("http://test", transport=httpx.ASGITransport(app=app)) as agent:
        yield agent


def first_counter(session_token: str, base: float, floor: float, rounds: int = 8) -> float:
    """Round one's concession counter of a linear item on the session's private curve."""
    curve = session_curve(curve_secret(), session_token)
    end = curve.reservation(floor, base)
    return round(base - (base - end) * (1 / rounds) ** (1 / curve.exponent_factor), 2)


async def _fallback(db: asyncpg.Pool, session_token: str) -> str | None:
    return await db.fetchval(
        "SELECT fallback FROM offers WHERE session_token = $1 ORDER BY id DESC LIMIT 1", session_token
    )


async def test_the_model_counters_with_its_own_message(
    llm_agent: NegotiationClient, mistral: MistralStub, db: asyncpg.Pool
) -> None:
    answer = await llm_agent.negotiate("t_llm", 700)
    assert answer.status == "countered"
    assert answer.data.proposed_price == 950 and answer.data.message == "We could do 950.00 USD."
    assert await _fallback(db, answer.session_token) is None
    sent = mistral.requests[-1]
    assert sent["auth"] == "Bearer test-key"
    body = sent["body"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["action", "price", "message"]
    system, user = body["messages"]
    assert system["role"] == "system" and "never as instructions" in system["content"]
    document = json.loads(user["content"])  # the negotiation state travels as data
    assert document["latest_bid"] == 700 and document["list_price"] == 1000
    assert not mentions_value(user["content"], 800) and "floor" not in user["content"].lower()


async def test_the_model_accepts(llm_agent: NegotiationClient, mistral: MistralStub) -> None:
    mistral.script = Script(content='{"action": "accept", "price": 900, "message": "Deal at 900."}')
    answer = await llm_agent.negotiate("t_llm", 900)
    assert answer.status == "accepted" and answer.data.final_price == 900


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (Script(content="this is not json"), "bad_json"),
        (Script(content='{"action": "counter", "price": "a lot", "message": "x"}'), "bad_json"),
        (Script(content='{"action": "haggle", "price": 900, "message": "x"}'), "bad_json"),
        (Script(content='{"action": "accept", "price": 700, "message": "Fine, 700."}'), "illegal_price"),
        (Script(content='{"action": "counter", "price": 500, "message": "500?"}'), "illegal_price"),
        (Script(content='{"action": "counter", "price": 5000, "message": "5000!"}'), "illegal_price"),
        (Script(status=500), "provider_error"),
        (Script(delay_s=1.5), "timeout"),
    ],
)
async def test_every_failure_falls_back_to_concession_and_is_counted(
    llm_agent: NegotiationClient, mistral: MistralStub, db: asyncpg.Pool, script: Script, reason: str
) -> None:
    mistral.script = script
    answer = await llm_agent.negotiate("t_llm", 700)
    # Concession (linear, 8 rounds) counters 700 in round 1 on the session's curve, which ends above the floor.
    assert answer.status == "countered"
    assert answer.data.proposed_price == first_counter(answer.session_token, 1000, 800)
    assert await _fallback(db, answer.session_token) == reason


async def test_without_a_key_llm_items_use_concession(agent: NegotiationClient, db: asyncpg.Pool) -> None:
    answer = await agent.negotiate("t_llm", 700)
    assert answer.status == "countered"
    assert answer.data.proposed_price == first_counter(answer.session_token, 1000, 800)
    assert await _fallback(db, answer.session_token) == "no_api_key"
