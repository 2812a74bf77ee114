"""Stripe Billing sync: the usage ledger sent as meter events through the official SDK, each exactly once.

Exactly once rests on three things: a row is claimed under a lease before it
is sent (so two syncers never send it at the same time), it is marked synced
only after Stripe accepted it, and every attempt carries the ledger row's
idempotency key both as the meter event `identifier` and as the request's
`Idempotency-Key`, so a retry after a lost answer is deduplicated by Stripe.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import asyncpg
import stripe
from stripe._base_address import BaseAddresses  # the SDK's type of `base_addresses`, not re-exported

from aura.cluster import NAMESPACE
from aura.metrics import counter, gauge, recording
from aura.settings import BillingSettings, Settings, get_settings
from aura.store import DATABASE_DOWN, expire_pools

if TYPE_CHECKING:
    from aura.supervision import NamedActor

log = logging.getLogger(__name__)


SENT = counter("aura_billing_events_total", "Usage events the Stripe sync handled, by outcome.", ("outcome",))
LAG = gauge("aura_billing_sync_lag_seconds", "Age of the oldest usage event not yet sent to Stripe.")


@dataclass(frozen=True)
class SyncReport:
    """What one sync pass did."""

    claimed: int
    sent: int
    failed: int
    no_customer: int


@dataclass(frozen=True)
class _Claimed:
    event_id: int
    idempotency_key: str
    event_type: str
    quantity: int
    timestamp: int
    attempts: int
    customer: str | None


def stripe_client(secret_key: str, billing: BillingSettings) -> stripe.StripeClient:
    """The SDK client; its own network retries are on too (they reuse the idempotency key)."""
    bases: BaseAddresses | None = {"api": billing.stripe_api_base} if billing.stripe_api_base else None
    return stripe.StripeClient(secret_key, base_addresses=bases, max_network_retries=2)


class MeterSync:
    """Sends unsynced ledger rows to Stripe as meter events."""

    def __init__(self, db: asyncpg.Pool, client: stripe.StripeClient, billing: BillingSettings | None = None) -> None:
        self._db = db
        self._client = client
        self._billing = billing or get_settings().billing

    def _backoff_s(self, attempts: int) -> float:
        return min(self._billing.stripe_backoff_max_s, self._billing.stripe_backoff_base_s * 2 ** max(attempts - 1, 0))

    async def _claim(self) -> list[_Claimed]:
        rows = await self._db.fetch(
            """WITH due AS (
                   SELECT event_id FROM usage_events
                   WHERE stripe_synced_at IS NULL AND (stripe_lease_until IS NULL OR stripe_lease_until < now())
                   ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED)
               UPDATE usage_events u SET stripe_lease_until = now() + make_interval(secs => $2)
               FROM due WHERE u.event_id = due.event_id
               RETURNING u.event_id, u.idempotency_key, u.event_type, u.quantity, u.user_id,
                         extract(epoch FROM u.created_at)::bigint AS ts, u.stripe_attempts""",
            self._billing.stripe_batch_size,
            self._billing.stripe_lease_s,
        )
        users = list({r["user_id"] for r in rows})
        customers = {
            r["user_id"]: r["stripe_customer_id"]
            for r in await self._db.fetch(
                "SELECT user_id, stripe_customer_id FROM billing_customers WHERE user_id = ANY($1::text[])", users
            )
        }
        return [
            _Claimed(
                r["event_id"],
                r["idempotency_key"],
                r["event_type"],
                r["quantity"],
                r["ts"],
                r["stripe_attempts"],
                customers.get(r["user_id"]),
            )
            for r in rows
        ]

    async def _send(self, row: _Claimed) -> str | None:
        """Send one event; None on success, else the error to record."""
        try:
            await self._client.v1.billing.meter_events.create_async(
                params={
                    "event_name": f"{self._billing.stripe_event_prefix}{row.event_type}",
                    "identifier": row.idempotency_key,
                    "timestamp": row.timestamp,
                    "payload": {"stripe_customer_id": row.customer or "", "value": str(row.quantity)},
                },
                options={"idempotency_key": row.idempotency_key},
            )
        except stripe.StripeError as exc:
            return f"{type(exc).__name__}: {exc.user_message or exc}"[:500]
        return None

    async def _settle(self, row: _Claimed, error: str | None) -> None:
        if error is None:
            await self._db.execute(
                """UPDATE usage_events SET stripe_synced_at = now(), stripe_attempts = stripe_attempts + 1,
                          stripe_error = NULL, stripe_lease_until = NULL WHERE event_id = $1""",
                row.event_id,
            )
            return
        # The lease doubles as "not before": a failed row waits out its backoff before the next claim.
        await self._db.execute(
            """UPDATE usage_events SET stripe_attempts = stripe_attempts + 1, stripe_error = $2,
                      stripe_lease_until = now() + make_interval(secs => $3) WHERE event_id = $1""",
            row.event_id,
            error,
            self._backoff_s(row.attempts + 1),
        )

    async def sync_once(self) -> SyncReport:
        """Claim a batch of due rows, send them concurrently, record each outcome."""
        claimed = await self._claim()
        gate = asyncio.Semaphore(self._billing.stripe_concurrency)
        counts = {"sent": 0, "failed": 0, "no_customer": 0}

        async def one(row: _Claimed) -> None:
            if row.customer is None:
                counts["no_customer"] += 1
                await self._settle(row, "no Stripe customer is mapped to this user (billing_customers)")
                return
            async with gate:
                error = await self._send(row)
            await self._settle(row, error)
            counts["sent" if error is None else "failed"] += 1

        await asyncio.gather(*(one(row) for row in claimed))
        for outcome, count in counts.items():
            SENT.inc(count, outcome=outcome)
        if recording():  # the lag is a query of its own, for the gauge alone
            lag = await self._db.fetchval(
                "SELECT extract(epoch FROM now() - min(created_at)) FROM usage_events WHERE stripe_synced_at IS NULL"
            )
            LAG.set(float(lag or 0.0))
        return SyncReport(claimed=len(claimed), **counts)

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set: immediately again while there is a backlog, else every interval."""
        while not stop.is_set():
            try:
                report = await self.sync_once()
            except (asyncpg.PostgresError, *DATABASE_DOWN):
                log.exception("stripe sync pass failed; retrying next interval")
                await expire_pools()
                report = SyncReport(0, 0, 0, 0)
            if report.claimed:
                log.info(
                    "stripe sync",
                    extra={"sent": report.sent, "failed": report.failed, "no_customer": report.no_customer},
                )
            if report.claimed < self._billing.stripe_batch_size:
                try:
                    await asyncio.wait_for(stop.wait(), self._billing.stripe_sync_interval_s)
                except TimeoutError:
                    pass


async def set_customer(db: asyncpg.Pool, user_id: str, stripe_customer_id: str) -> None:
    """Map an Aura user to the Stripe customer their meter events are billed to."""
    await db.execute(
        """INSERT INTO billing_customers (user_id, stripe_customer_id) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id""",
        user_id,
        stripe_customer_id,
    )


class BillingSyncService:
    """The background sync as a long-lived Ray actor (`aura:billing:sync`), one per cluster."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        """Start the sync loop if a Stripe key is configured; return whether it runs."""
        from aura.store import configured_pool

        settings = get_settings()
        billing = settings.billing
        if billing.stripe_secret_key is None:
            return False
        if self._task is None or self._task.done():
            client = stripe_client(billing.stripe_secret_key.get_secret_value(), billing)
            sync = MeterSync(await configured_pool(settings), client, billing)
            self._task = asyncio.get_running_loop().create_task(sync.run(self._stop))
        return True

    async def running(self) -> bool:
        """Whether the sync loop runs now (without starting it)."""
        return self._task is not None and not self._task.done()


@cache
def billing_sync() -> NamedActor:
    """This process's handle on the cluster's Stripe sync actor (`aura:billing:sync`), made again if gone.

    Its probe is `start`: a sync Ray restarted, or one made anew, runs its loop again once checked.
    """
    import ray

    from aura.supervision import NamedActor

    def make() -> Any:
        return (
            ray.remote(BillingSyncService)
            .options(
                name="aura:billing:sync",
                namespace=NAMESPACE,
                get_if_exists=True,
                lifetime="detached",
                max_restarts=-1,
                num_cpus=0,
            )
            .remote()
        )

    return NamedActor("aura:billing:sync", "billing", make, probe="start")


def ensure_billing_sync(settings: Settings) -> bool:
    """Start the cluster's Stripe sync actor when a Stripe key is set (idempotent); return whether it runs.

    Call from `aura up` (after Ray is up) or lazily from the gateway.
    """
    if settings.billing.stripe_secret_key is None:
        return False
    import ray

    return bool(ray.get(billing_sync().handle().start.remote()))
