"""`POST /v1/negotiate` and `GET /v1/deals/{id}` end to end: statuses, sessions, storage, ownership, bad input."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from negotiation.client import ApiCallFailed, NegotiationClient


async def test_accepted_bid_makes_a_deal_stored_with_trace_id(agent: NegotiationClient, db: asyncpg.Pool) -> None:
    answer = await agent.negotiate("t_rule", 450)
    assert answer.status == "accepted"
    assert answer.data.final_price == 450
    assert answer.data.reservation_code.startswith("AUR-")
    deal = await agent.deal(answer.data.deal_id)
    assert (deal.item_id, deal.final_price, deal.session_token) == ("t_rule", 450, answer.session_token)
    row = await db.fetchrow(
        "SELECT d.trace_id, n.status, n.buyer_did FROM deals d JOIN negotiations n USING "
        "(session_token) WHERE deal_id = $1",
        answer.data.deal_id,
    )
    assert row["status"] == "accepted" and row["buyer_did"] == agent.did
    assert row["trace_id"] and len(row["trace_id"]) == 32
    offers = await db.fetch(
        "SELECT status, bid_amount, trace_id FROM offers WHERE session_token = $1", answer.session_token
    )
    assert [(o["status"], o["bid_amount"]) for o in offers] == [("accepted", 450)]
    assert offers[0]["trace_id"] == row["trace_id"]


async def test_countered_then_rejected_at_the_round_limit(agent: NegotiationClient, negotiation_env) -> None:
    negotiation_env(max_rounds=3)
    first = await agent.negotiate("t_linear", 500)
    assert first.status == "countered"
    assert 800 < first.data.proposed_price <= 1000
    assert first.data.reason_code == "bid_too_low"
    assert f"{first.data.proposed_price:.2f}" in first.data.message
    second = await agent.negotiate("t_linear", 500, session_token=first.session_token)
    assert second.status == "countered" and second.data.proposed_price < first.data.proposed_price
    assert second.valid_until == first.valid_until
    third = await agent.negotiate("t_linear", 500, session_token=first.session_token)
    assert third.status == "rejected" and third.data.reason_code == "round_limit"
    with pytest.raises(ApiCallFailed) as closed:
        await agent.negotiate("t_linear", 900, session_token=first.session_token)
    assert (closed.value.status, closed.value.code) == (404, "session_not_found")


async def test_high_value_bid_needs_confirmation_then_continues(agent: NegotiationClient) -> None:
    first = await agent.negotiate("t_linear", 1600)
    assert first.status == "ui_required" and first.data is None
    assert first.action_required.template == "high_value_confirm"
    assert first.action_required.context["bid_amount"] == 1600
    confirmed = await agent.negotiate("t_linear", 1600, session_token=first.session_token, confirmed=True)
    assert confirmed.status == "accepted"
    # A bid above the standing offer pays the standing offer (the base price here), never more than the bid.
    assert confirmed.data.final_price == 1000


async def test_multi_round_session_converges_to_a_deal(agent: NegotiationClient, negotiation_env) -> None:
    negotiation_env(max_rounds=6)
    budget, bid = 900.0, 600.0
    answer = await agent.negotiate("t_linear", bid)
    asks = []
    while answer.status == "countered":
        asks.append(answer.data.proposed_price)
        bid = min(budget, bid + 0.5 * (answer.data.proposed_price - bid))
        answer = await agent.negotiate("t_linear", bid, session_token=answer.session_token)
    assert answer.status == "accepted", asks
    assert asks == sorted(asks, reverse=True) and len(asks) >= 2
    assert 800 <= answer.data.final_price <= bid


async def test_deals_are_visible_only_to_their_buyer(agent: NegotiationClient, new_agent) -> None:
    answer = await agent.negotiate("t_rule", 480)
    async with new_agent() as stranger:
        with pytest.raises(ApiCallFailed) as foreign:
            await stranger.deal(answer.data.deal_id)
    assert (foreign.value.status, foreign.value.code) == (404, "deal_not_found")
    with pytest.raises(ApiCallFailed) as unknown:
        await agent.deal("0" * 32)
    assert unknown.value.status == 404


async def test_a_session_belongs_to_its_buyer(agent: NegotiationClient, new_agent) -> None:
    first = await agent.negotiate("t_linear", 500)
    async with new_agent() as stranger:
        with pytest.raises(ApiCallFailed) as taken:
            await stranger.negotiate("t_linear", 900, session_token=first.session_token)
    assert (taken.value.status, taken.value.code) == (404, "session_not_found")


async def test_expired_session_answers_410(agent: NegotiationClient, negotiation_env) -> None:
    negotiation_env(session_ttl_s=0.01)
    first = await agent.negotiate("t_linear", 500)
    await asyncio.sleep(0.05)  # past valid_until, however fast the first answer came back
    with pytest.raises(ApiCallFailed) as expired:
        await agent.negotiate("t_linear", 600, session_token=first.session_token)
    assert (expired.value.status, expired.value.code) == (410, "session_expired")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"item_id": "t_rule", "bid_amount": 0}, 422, "invalid_request"),
        ({"item_id": "t_rule", "bid_amount": -5}, 422, "invalid_request"),
        ({"item_id": "t_rule", "bid_amount": "lots"}, 422, "invalid_request"),
        ({"item_id": "t_rule", "bid_amount": 450, "currency": "XYZ"}, 422, "unknown_currency"),
        ({"item_id": "t_rule", "bid_amount": 450, "currency": "EUR"}, 422, "currency_mismatch"),
        ({"item_id": "no_such_item", "bid_amount": 450}, 404, "unknown_item"),
        ({"item_id": "t_inactive", "bid_amount": 95}, 404, "unknown_item"),
        ({"item_id": "t_rule", "bid_amount": 450, "session_token": "ses_nope"}, 404, "session_not_found"),
        ({"item_id": "t_rule", "bid_amount": 450, "agent_did": "did:key:z6MkOther"}, 403, "agent_mismatch"),
        ({"bid_amount": 450}, 422, "invalid_request"),
    ],
)
async def test_bad_input_is_a_4xx_with_a_code(agent: NegotiationClient, payload: dict, status: int, code: str) -> None:
    answer = await agent.send("POST", "/v1/negotiate", payload)
    assert (answer.status_code, answer.json()["code"]) == (status, code)


@pytest.mark.parametrize(
    "body",
    [
        b'{"item_id": "t_rule", "bid_amount": NaN}',
        b'{"item_id": "t_rule", "bid_amount": Infinity}',
        b'{"item_id": "t_rule", "bid_amount": 1e999}',
    ],
)
async def test_non_finite_bids_are_rejected(agent: NegotiationClient, transport, body: bytes) -> None:
    import time

    import httpx

    headers = agent.key.sign_headers("POST", "/v1/negotiate", body, int(time.time()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        answer = await raw.post("/v1/negotiate", content=body, headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


async def test_malformed_json_is_400(agent: NegotiationClient, transport) -> None:
    import time

    import httpx

    body = b'{"item_id": "t_rule", "bid_amount": '
    headers = agent.key.sign_headers("POST", "/v1/negotiate", body, int(time.time()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        answer = await raw.post("/v1/negotiate", content=body, headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_json"


async def test_seller_traces_hold_no_floor(agent: NegotiationClient) -> None:
    from aura.settings import get_settings
    from negotiation.guard import mentions_value
    from negotiation.service import seller_group

    first = await agent.negotiate("t_linear", 500)
    await agent.negotiate("t_linear", 650, session_token=first.session_token)
    host = seller_group(get_settings().negotiation).host_for("t_linear")
    trace = await host.export_trace.remote("t_linear")
    assert '"bid": 650.0' in trace  # the steps are there...
    assert "floor" not in trace.lower() and not mentions_value(trace.replace(",", " "), 800.0)  # ...the floor is not
