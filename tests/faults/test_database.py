"""The embedded PostgreSQL killed with `kill -9`: requests get a prompt 503 with Retry-After while it is down (never a
500 or a hang), `aura up`'s supervision starts it again, and everything acknowledged before is still there once."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import asyncpg
import httpx
import pytest

from aura.settings import Settings, SupervisionSettings
from aura.store import embedded
from deployments.app import build_api
from deployments.cli.up import _supervise_database
from negotiation.client import NegotiationClient
from tests.faults.conftest import recovered, until

pytestmark = pytest.mark.usefixtures("ray_cluster", "catalog", "negotiation_env")

HANG_S = 10.0
#: Recovery bound stated for the database: the issue's target is 15 s, with slack for a loaded machine.
RECOVERY_S = 45.0
UNAVAILABLE = {"database_unavailable", "decisions_unavailable"}


def kill_postmaster(pgdata: Path) -> None:
    pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    os.kill(pid, signal.SIGKILL)


async def test_requests_get_503_while_the_database_is_down_and_nothing_acknowledged_is_lost(
    settings: Settings, db: asyncpg.Pool
) -> None:
    pgdata = settings.data_dir / "pg"
    app = build_api()
    transport = httpx.ASGITransport(app=app)
    async with NegotiationClient("http://test", transport=transport, resends=0) as agent:
        deal = await agent.negotiate("t_conceder", 300)  # the base price: accepted at once
        assert deal.status == "accepted"
        deal_id = deal.data.deal_id  # type: ignore[union-attr]
        opened = await agent.negotiate("t_linear", 500)

        kill_postmaster(pgdata)
        await until(lambda: not embedded.is_running(pgdata), HANG_S)

        during = [
            await asyncio.wait_for(agent.send("POST", "/v1/negotiate", body), HANG_S)
            for body in (
                {"item_id": "t_linear", "bid_amount": 520, "session_token": opened.session_token},
                {"item_id": "t_rule", "bid_amount": 450},
            )
        ]
        during.append(await asyncio.wait_for(agent.send("POST", "/v1/search", {"query": "room"}), HANG_S))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as plain:
            health = await asyncio.wait_for(plain.get("/v1/health"), HANG_S)
        for refused in during:
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] in UNAVAILABLE and int(refused.headers["Retry-After"]) >= 1
        assert health.status_code == 503 and "database" in health.json()["failed"]

        stop = threading.Event()
        embedded_only = Settings(
            data_dir=settings.data_dir, database_url=None, supervision=SupervisionSettings(database_check_s=0.2)
        )
        watch = threading.Thread(target=_supervise_database, args=(embedded_only, stop), daemon=True)
        watch.start()
        try:

            async def continued() -> httpx.Response | None:
                answer = await asyncio.wait_for(
                    agent.send(
                        "POST",
                        "/v1/negotiate",
                        {"item_id": "t_linear", "bid_amount": 520, "session_token": opened.session_token},
                    ),
                    HANG_S,
                )
                assert answer.status_code in (200, 503), answer.text
                return answer if answer.status_code == 200 else None

            after = await recovered(continued, RECOVERY_S)
        finally:
            stop.set()
            watch.join(timeout=30)
        assert after.json()["data"]["proposed_price"] < opened.data.proposed_price  # type: ignore[union-attr]
        kept = await agent.deal(deal_id)
    assert kept.deal_id == deal_id and kept.final_price == deal.data.final_price  # type: ignore[union-attr]
    assert await db.fetchval("SELECT count(*) FROM deals WHERE deal_id = $1", deal_id) == 1
