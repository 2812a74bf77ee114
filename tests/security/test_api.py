"""The bearer and unsigned API under attack: body sizes, resent chats and billing, rate limits, session caps."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import quote

import asyncpg
import httpx

PROMPT = "Please review:\n```python\ndef add(a, b):\n    return a + b\n```"


async def _chat(
    client: httpx.AsyncClient, headers: dict, session_id: str, prompt: str = PROMPT, key: str | None = None
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        "/v1/aura/chat", headers={**headers, **extra}, json={"prompt": prompt, "session_id": session_id}
    )


async def _billed(db: asyncpg.Pool, user: str) -> dict[str, int]:
    rows = await db.fetch("SELECT event_type, count(*) AS n FROM usage_events WHERE user_id = $1 GROUP BY 1", user)
    return {r["event_type"]: r["n"] for r in rows}


# -- bodies ---------------------------------------------------------------------------------------------------------


async def test_a_body_over_the_cap_is_a_413_before_any_route_reads_it(client: httpx.AsyncClient, core_env) -> None:
    core_env(max_body_bytes=4096)
    from deployments.app import build_api

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://t") as small:
        declared = await small.post("/v1/search", content=b"x" * 5000, headers={"Content-Type": "application/json"})

        async def chunks():
            for _ in range(5):
                yield b" " * 1000

        chunked = await small.post("/v1/search", content=chunks(), headers={"Content-Type": "application/json"})
        fits = await small.post("/v1/search", json={"query": "hotel"})
    assert (declared.status_code, declared.json()["code"]) == (413, "body_too_large")
    assert (chunked.status_code, chunked.json()["code"]) == (413, "body_too_large")
    assert fits.status_code == 200


async def test_unknown_routes_and_methods_answer_in_the_error_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing-here")
    wrong = await client.delete("/v1/search")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")


# -- a resent chat runs once and bills once -------------------------------------------------------------------------


async def test_a_chat_resent_with_its_key_returns_the_first_answer_and_bills_once(
    client: httpx.AsyncClient, auth, new_session, db: asyncpg.Pool
) -> None:
    user = f"resend-{uuid.uuid4().hex[:8]}"
    session_id = await new_session(user)
    key = uuid.uuid4().hex
    first = await _chat(client, auth(user), session_id, key=key)
    billed = await _billed(db, user)
    again = await _chat(client, auth(user), session_id, key=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert await _billed(db, user) == billed and billed["message"] == 1
    messages = (await client.get(f"/v1/aura/sessions/{session_id}/messages", headers=auth(user))).json()
    assert len(messages["messages"]) == 2  # one prompt, one answer: the resend ran nothing
    other = await _chat(client, auth(user), session_id, prompt=PROMPT + "\n# another", key=key)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")


async def test_one_users_key_cannot_swallow_another_users_billing(
    client: httpx.AsyncClient, auth, new_session, db: asyncpg.Pool
) -> None:
    key = uuid.uuid4().hex
    users = [f"alice-{uuid.uuid4().hex[:6]}", f"mallory-{uuid.uuid4().hex[:6]}"]
    for user in users:
        answer = await _chat(client, auth(user), await new_session(user), key=key)
        assert answer.status_code == 200
    for user in users:
        assert (await _billed(db, user))["message"] == 1
    keys = await db.fetch("SELECT idempotency_key FROM usage_events WHERE user_id = ANY($1::text[])", users)
    assert all(len(r["idempotency_key"]) <= 100 for r in keys)  # Stripe's meter event identifier limit


async def test_chats_without_a_key_are_each_billed(
    client: httpx.AsyncClient, auth, new_session, db: asyncpg.Pool
) -> None:
    user = f"nokey-{uuid.uuid4().hex[:8]}"
    session_id = await new_session(user)
    for _ in range(2):
        assert (await _chat(client, auth(user), session_id)).status_code == 200
    assert (await _billed(db, user))["message"] == 2


# -- rate limits and caps ------------------------------------------------------------------------------------------


async def test_unsigned_searches_are_limited_per_client_address(client: httpx.AsyncClient, core_env) -> None:
    core_env(search_per_minute=2)
    from deployments.app import build_api

    transport = httpx.ASGITransport(app=build_api(), client=(f"198.51.100.{uuid.uuid4().int % 250}", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as one_address:
        answers = [await one_address.post("/v1/search", json={"query": "hotel"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and int(answers[2].headers["Retry-After"]) >= 1
    assert answers[1].headers["X-RateLimit-Remaining"] == "0"


async def test_chats_are_limited_per_user(client: httpx.AsyncClient, auth, new_session, core_env) -> None:
    core_env(chat_per_minute=1)
    user = f"chatty-{uuid.uuid4().hex[:8]}"
    session_id = await new_session(user)
    first, second = await asyncio.gather(_chat(client, auth(user), session_id), _chat(client, auth(user), session_id))
    assert sorted([first.status_code, second.status_code]) == [200, 429]
    other = f"other-{uuid.uuid4().hex[:8]}"
    assert (await _chat(client, auth(other), await new_session(other))).status_code == 200


async def test_a_user_holds_a_bounded_number_of_active_sessions(client: httpx.AsyncClient, auth) -> None:
    user = f"hoarder-{uuid.uuid4().hex[:8]}"
    created = [await client.post("/v1/aura/sessions", headers=auth(user)) for _ in range(100)]
    assert {c.status_code for c in created} == {201}
    refused = await client.post("/v1/aura/sessions", headers=auth(user))
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_sessions")
    await client.post(f"/v1/aura/sessions/{created[0].json()['session_id']}/end", headers=auth(user))
    assert (await client.post("/v1/aura/sessions", headers=auth(user))).status_code == 201


async def test_error_details_quote_input_only_as_a_short_printable_excerpt(client: httpx.AsyncClient, auth) -> None:
    probe = quote("\x1b[31m" + "A" * 300, safe="")  # arrives decoded, escape character and all
    answer = await client.get(f"/v1/aura/sessions/{probe}/lattice", headers=auth("prober"))
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert "\x1b" not in detail and len(detail) < 80
