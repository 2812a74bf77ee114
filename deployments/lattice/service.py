"""The replica's one `LatticeService`, built on first use (the Stripe sync and the six cell hosts started with it)."""

from __future__ import annotations

import asyncio

from starlette.requests import HTTPConnection

from aura import ensure_billing_sync
from aura.settings import get_settings
from deployments.replica import database, replica
from lattice import LatticeService

#: Cell warm-ups still running; a task only weakly referenced could be collected before it ends.
_warming: set[asyncio.Task[object]] = set()


async def _build() -> LatticeService:
    built = LatticeService(await database())
    # AutoPilot runs whose replica died go on here.
    await built.autopilot.resume()
    settings = get_settings()
    if settings.billing.stripe_secret_key is not None:
        # Idempotent: finds the cluster's sync actor if another replica started it.
        await asyncio.to_thread(ensure_billing_sync, settings)
    # Start all six cell hosts at once now rather than one by one inside the first chat.
    warming = asyncio.create_task(built.directory.alive(timeout_s=120.0))
    _warming.add(warming)
    warming.add_done_callback(_warming.discard)
    return built


async def lattice_service(connection: HTTPConnection) -> LatticeService:
    """The lattice service of the app serving `connection`."""
    return await replica(connection).get("lattice", _build)
