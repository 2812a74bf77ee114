"""The gateway replica's one `LatticeService`, created on first use (and the Stripe sync started with it)."""

from __future__ import annotations

import asyncio
import logging

from aura.billing import ensure_billing_sync
from aura.settings import get_settings
from deployments.dependencies import database
from lattice.service import LatticeService

log = logging.getLogger(__name__)

_service: LatticeService | None = None
_lock = asyncio.Lock()
_warming: set[asyncio.Task[object]] = set()


async def service() -> LatticeService:
    """This replica's lattice service."""
    global _service
    if _service is not None:
        return _service
    async with _lock:
        if _service is None:
            db = await database()
            created = LatticeService(db)
            settings = get_settings()
            if settings.billing.stripe_secret_key is not None:
                # Idempotent: finds the cluster's sync actor if another replica started it.
                await asyncio.to_thread(ensure_billing_sync, settings)
            # Start all six cell hosts at once now rather than one by one inside the first chat.
            _warming.add(asyncio.create_task(created.directory.alive(timeout_s=120.0)))
            _service = created
    return _service
