"""`GET /v1/health`: 200 when Ray and PostgreSQL answer, 503 naming the one that does not."""

from __future__ import annotations

import httpx
import pytest

from aura.settings import get_settings
from aura.store import close_pool
from deployments.app import build_api

pytestmark = pytest.mark.usefixtures("ray_cluster")


async def get_health() -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://aura") as client:
        return await client.get("/v1/health", headers={"X-Request-ID": "health-check-1"})


async def test_health_is_ok_with_ray_and_the_database_up() -> None:
    answer = await get_health()
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert body["ray"]["alive_nodes"] >= 1 and body["database"]["schema_version"] >= 1
    assert answer.headers["X-Request-ID"] == "health-check-1"


async def test_health_is_503_naming_the_database_when_it_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    unreachable = "postgresql://aura@127.0.0.1:1/aura"
    monkeypatch.setenv("AURA_DATABASE_URL", unreachable)
    get_settings.cache_clear()
    try:
        answer = await get_health()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        await close_pool(unreachable)
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "degraded" and body["failed"] == ["database"]
    assert body["ray"]["ok"] and not body["database"]["ok"]


async def test_health_reports_every_kind_of_host() -> None:
    answer = await get_health()
    hosts = answer.json()["hosts"]
    assert set(hosts) == {"seller", "cell", "quantum", "relay"}  # billing only with a Stripe key
    assert hosts["cell"]["total"] == 6 and all(group["total"] >= 1 for group in hosts.values())
    assert all(group["state"] in ("alive", "idle", "starting") for group in hosts.values())
