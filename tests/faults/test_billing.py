"""The Stripe sync killed in the middle of a batch: the sync made again sends what was left, and every usage event
reaches Stripe (the real SDK against a local server that deduplicates by `Idempotency-Key`, as Stripe does) once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from urllib.parse import parse_qs

import asyncpg
import pytest
import ray
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aura import NAMESPACE
from aura.billing import BillingSyncService, set_customer
from aura.usage import UsageEvent, UsageLedger
from tests.faults.conftest import recovered, until

pytestmark = pytest.mark.usefixtures("ray_cluster")

EVENTS = 30


class SlowStripe:
    """/v1/billing/meter_events that records an event on arrival and answers a tenth of a second later."""

    def __init__(self) -> None:
        self.calls = 0
        self.accepted: Counter[str] = Counter()
        self.replies: dict[str, dict] = {}

    async def meter_events(self, request: Request) -> JSONResponse:
        self.calls += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        key = request.headers["idempotency-key"]
        if key not in self.replies:
            self.accepted[form["identifier"]] += 1
            self.replies[key] = {
                "object": "billing.meter_event",
                "event_name": form["event_name"],
                "identifier": form["identifier"],
                "payload": {"value": form["payload[value]"]},
                "livemode": False,
                "created": 0,
                "timestamp": 0,
            }
        await asyncio.sleep(0.1)  # the sync is killed while answers like this one are on their way
        return JSONResponse(self.replies[key])


async def test_every_usage_event_reaches_stripe_once_across_a_sync_killed_mid_batch(db: asyncpg.Pool) -> None:
    stripe = SlowStripe()
    app = Starlette(routes=[Route("/v1/billing/meter_events", stripe.meter_events, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    await db.execute("UPDATE usage_events SET stripe_synced_at = now() WHERE stripe_synced_at IS NULL")
    user = f"user-{uuid.uuid4().hex[:8]}"
    await set_customer(db, user, "cus_faults")
    keys = [f"{user}:{i}" for i in range(EVENTS)]
    await UsageLedger(db).record([UsageEvent(user, "agent_call", key) for key in keys])
    env = {
        "AURA_STRIPE_SECRET_KEY": "sk_test_faults",
        "AURA_STRIPE_API_BASE": url,
        "AURA_STRIPE_LEASE_S": "2",
        "AURA_STRIPE_CONCURRENCY": "2",
        "AURA_STRIPE_SYNC_INTERVAL_S": "0.2",
    }

    def sync() -> ray.actor.ActorHandle:
        return (
            ray.remote(BillingSyncService)
            .options(
                name=f"test:billing:{uuid.uuid4().hex[:8]}",
                namespace=NAMESPACE,
                num_cpus=0,
                runtime_env={"env_vars": env},
            )
            .remote()
        )

    try:
        first = sync()
        assert await first.start.remote()
        await until(lambda: stripe.calls >= 6, 60, pause_s=0.01)
        ray.kill(first, no_restart=True)
        sent_before_kill = sum(stripe.accepted.values())
        second = sync()  # as a supervisor makes the sync again
        assert await second.start.remote()

        async def all_synced() -> bool | None:
            left = await db.fetchval(
                "SELECT count(*) FROM usage_events WHERE user_id = $1 AND stripe_synced_at IS NULL", user
            )
            return True if left == 0 else None

        await recovered(all_synced, 60)
        ray.kill(second, no_restart=True)
    finally:
        server.should_exit = True
        await serving
    assert 0 < sent_before_kill < EVENTS  # the kill came in the middle of the batch
    assert sorted(stripe.accepted) == sorted(keys)
    assert set(stripe.accepted.values()) == {1}  # none lost, none doubled
    assert stripe.calls > EVENTS  # what was in flight at the kill was sent again, and deduplicated
