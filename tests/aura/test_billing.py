"""Stripe meter-event sync through the real SDK against a local server that fails some calls."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from urllib.parse import parse_qs

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aura.billing import MeterSync, set_customer, stripe_client
from aura.settings import BillingSettings
from aura.usage import UsageEvent, UsageLedger


class FakeStripe:
    """/v1/billing/meter_events like Stripe: idempotent by `Idempotency-Key`; some calls fail before processing,
    some after (the event is recorded but the answer is a 500, like a lost response)."""

    def __init__(self) -> None:
        self.calls = 0
        self.accepted: Counter[str] = Counter()
        self.replies: dict[str, dict] = {}
        self.customers: dict[str, str] = {}

    async def meter_events(self, request: Request) -> JSONResponse:
        self.calls += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        key = request.headers.get("idempotency-key")
        if key in self.replies:
            return JSONResponse(self.replies[key])
        if self.calls % 3 == 0:
            return JSONResponse({"error": {"type": "api_error", "message": "try later"}}, status_code=500)
        identifier = form["identifier"]
        self.accepted[identifier] += 1
        self.customers[identifier] = form["payload[stripe_customer_id]"]
        reply = {
            "object": "billing.meter_event",
            "event_name": form["event_name"],
            "identifier": identifier,
            "payload": {"value": form["payload[value]"]},
            "livemode": False,
            "created": 0,
            "timestamp": 0,
        }
        if self.calls % 5 == 0:
            # Processed, but the answer is lost: only the idempotency key saves the retry from double counting.
            self.replies[key] = reply
            return JSONResponse({"error": {"type": "api_error", "message": "lost"}}, status_code=500)
        self.replies[key] = reply
        return JSONResponse(reply)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/billing/meter_events", self.meter_events, methods=["POST"])])


@pytest.fixture
async def stripe_server():
    fake = FakeStripe()
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_every_event_reaches_stripe_exactly_once_despite_failures(db, stripe_server) -> None:
    fake, url = stripe_server
    await db.execute("UPDATE usage_events SET stripe_synced_at = now() WHERE stripe_synced_at IS NULL")
    user = f"user-{uuid.uuid4().hex[:8]}"
    await set_customer(db, user, "cus_test_1")
    keys = [f"{user}:{i}" for i in range(12)]
    await UsageLedger(db).record(
        [UsageEvent(user, "agent_call" if i % 2 else "message", k) for i, k in enumerate(keys)]
    )
    billing = BillingSettings(
        stripe_api_base=url, stripe_backoff_base_s=0.01, stripe_backoff_max_s=0.05, stripe_batch_size=5
    )
    client = stripe_client("sk_test_fake", billing)
    # The SDK's own retries are part of the real path; they must reuse the idempotency key too.
    sync = MeterSync(db, client, billing)
    for _ in range(40):
        await sync.sync_once()
        left = await db.fetchval(
            "SELECT count(*) FROM usage_events WHERE user_id = $1 AND stripe_synced_at IS NULL", user
        )
        if left == 0:
            break
        await asyncio.sleep(0.06)
    assert left == 0
    assert sorted(fake.accepted) == sorted(keys)
    assert set(fake.accepted.values()) == {1}
    assert set(fake.customers.values()) == {"cus_test_1"}
    assert fake.calls > len(keys)  # some calls failed and were retried
    attempts = await db.fetchval("SELECT max(stripe_attempts) FROM usage_events WHERE user_id = $1", user)
    assert attempts >= 1


async def test_users_without_a_stripe_customer_stay_pending(db, stripe_server) -> None:
    fake, url = stripe_server
    await db.execute("UPDATE usage_events SET stripe_synced_at = now() WHERE stripe_synced_at IS NULL")
    user = f"user-{uuid.uuid4().hex[:8]}"
    await UsageLedger(db).record([UsageEvent(user, "message", f"{user}:only")])
    billing = BillingSettings(stripe_api_base=url)
    report = await MeterSync(db, stripe_client("sk_test_fake", billing), billing).sync_once()
    assert report.no_customer == 1 and report.sent == 0 and fake.calls == 0
    row = await db.fetchrow(
        "SELECT stripe_synced_at, stripe_error FROM usage_events WHERE idempotency_key = $1", f"{user}:only"
    )
    assert row["stripe_synced_at"] is None and "no Stripe customer" in row["stripe_error"]
