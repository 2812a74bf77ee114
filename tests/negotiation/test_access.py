"""Signed agent auth and the per-DID rate limit, through the HTTP API."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from negotiation.client import NegotiationClient
from negotiation.identity import AgentKey

PATH = "/v1/deals/" + "0" * 32


async def _get(transport: httpx.ASGITransport, headers: dict[str, str], path: str = PATH) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        return await raw.get(path, headers=headers)


@pytest.mark.parametrize("multibase", [True, False])
async def test_both_did_forms_are_admitted(rayless_transport: httpx.ASGITransport, multibase: bool) -> None:
    key = AgentKey.generate(multibase=multibase)
    answer = await _get(rayless_transport, key.sign_headers("GET", PATH, b"", int(time.time())))
    # Admitted: the deal lookup itself answers (this agent has no such deal).
    assert (answer.status_code, answer.json()["code"]) == (404, "deal_not_found")
    assert answer.headers["X-RateLimit-Limit"] == "100000"


@pytest.mark.parametrize("missing", ["X-Agent-ID", "X-Timestamp", "X-Signature"])
async def test_missing_headers(rayless_transport: httpx.ASGITransport, missing: str) -> None:
    headers = AgentKey.generate().sign_headers("GET", PATH, b"", int(time.time()))
    del headers[missing]
    answer = await _get(rayless_transport, headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "missing_headers")


async def test_tampered_requests_fail_the_signature(rayless_transport: httpx.ASGITransport) -> None:
    key, now = AgentKey.generate(), int(time.time())
    signed = key.sign_headers("GET", PATH, b"", now)
    other_path = await _get(rayless_transport, signed, "/v1/deals/" + "1" * 32)
    assert (other_path.status_code, other_path.json()["code"]) == (401, "bad_signature")
    flipped = signed["X-Signature"][:-1] + ("0" if signed["X-Signature"][-1] != "0" else "1")
    answer = await _get(rayless_transport, {**signed, "X-Signature": flipped})
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    restamped = await _get(rayless_transport, {**signed, "X-Timestamp": str(now - 1)})
    assert restamped.json()["code"] == "bad_signature"


async def test_tampered_body_fails_the_signature(rayless_transport: httpx.ASGITransport) -> None:
    key = AgentKey.generate()
    headers = key.sign_headers("POST", "/v1/search", b'{"query":"hotel"}', int(time.time()))
    async with httpx.AsyncClient(transport=rayless_transport, base_url="http://test") as raw:
        answer = await raw.post(
            "/v1/search", content=b'{"query":"hostel"}', headers={**headers, "Content-Type": "application/json"}
        )
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")


async def test_wrong_did_fails(rayless_transport: httpx.ASGITransport) -> None:
    signed = AgentKey.generate().sign_headers("GET", PATH, b"", int(time.time()))
    someone_else = await _get(rayless_transport, {**signed, "X-Agent-ID": AgentKey.generate().did})
    assert (someone_else.status_code, someone_else.json()["code"]) == (401, "bad_signature")
    unreadable = await _get(rayless_transport, {**signed, "X-Agent-ID": "did:web:example.com"})
    assert (unreadable.status_code, unreadable.json()["code"]) == (401, "bad_did")


@pytest.mark.parametrize("offset", [-61, 61, -3600])
async def test_clock_skew(rayless_transport: httpx.ASGITransport, offset: int) -> None:
    headers = AgentKey.generate().sign_headers("GET", PATH, b"", int(time.time()) + offset)
    answer = await _get(rayless_transport, headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "clock_skew")


async def test_a_replayed_signature_is_rejected(rayless_transport: httpx.ASGITransport) -> None:
    headers = AgentKey.generate().sign_headers("GET", PATH, b"", int(time.time()))
    assert (await _get(rayless_transport, headers)).status_code == 404
    again = await _get(rayless_transport, headers)
    assert (again.status_code, again.json()["code"]) == (401, "replayed")


async def test_rate_limit_per_did(catalog, negotiation_env) -> None:
    from deployments.app import build_api

    negotiation_env(rate_limit_per_minute=5)
    transport = httpx.ASGITransport(app=build_api())
    async with (
        NegotiationClient("http://test", transport=transport) as agent,
        NegotiationClient("http://test", transport=transport) as other,
    ):
        answers = [await agent.send("POST", "/v1/search", {"query": f"hotel {i}"}) for i in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
        limited = answers[-1]
        assert limited.json()["code"] == "rate_limited"
        assert limited.headers["X-RateLimit-Limit"] == "5" and limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["Retry-After"]) in range(1, 13)
        assert int(limited.headers["X-RateLimit-Reset"]) >= int(limited.headers["Retry-After"])
        # Another agent has its own bucket; an unsigned search is not limited by DID.
        assert (await other.send("POST", "/v1/search", {"query": "hotel"})).status_code == 200


async def test_the_bucket_is_shared_by_replicas(catalog, negotiation_env) -> None:
    """Two app instances (as two Serve replicas would be) draw from one bucket per DID."""
    from deployments.app import build_api

    negotiation_env(rate_limit_per_minute=4)
    key = AgentKey.generate()
    first = NegotiationClient("http://test", key, transport=httpx.ASGITransport(app=build_api()))
    second = NegotiationClient("http://test", key, transport=httpx.ASGITransport(app=build_api()))
    async with first, second:
        statuses = []
        for i in range(6):
            client = first if i % 2 == 0 else second
            statuses.append((await client.send("POST", "/v1/search", {"query": f"room {i}"})).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_concurrent_requests_checked_together_keep_the_rules_of_one(catalog, negotiation_env) -> None:
    """Checks made at once share a round trip, yet each spends its own token and replays are still caught."""
    from deployments.app import build_api

    negotiation_env(rate_limit_per_minute=5)
    key, now = AgentKey.generate(), int(time.time())
    transport = httpx.ASGITransport(app=build_api())
    signed = [key.sign_headers("GET", PATH + str(i), b"", now) for i in range(8)]
    requests = [_get(transport, headers, PATH + str(i)) for i, headers in enumerate(signed)]
    requests.append(_get(transport, signed[0], PATH + "0"))  # the first request, replayed at the same moment
    answers = await asyncio.gather(*requests)
    codes = sorted(answer.json()["code"] for answer in answers)
    assert codes == ["deal_not_found"] * 5 + ["rate_limited"] * 3 + ["replayed"]
    remaining = sorted(int(a.headers["X-RateLimit-Remaining"]) for a in answers if a.status_code == 404)
    assert remaining == [0, 1, 2, 3, 4]
