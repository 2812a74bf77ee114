"""Deleting what has passed its retention: batch by batch, by one process of the cluster at a time.

Each domain says what of its own has expired as a `Sweep`: a function that
deletes at most `limit` of its oldest expired things before `cutoff` in the
transaction it is given and returns how many it deleted. `sweep` runs them
until none is left, each batch in a transaction of its own with a pause
between, so a sweep of a large backlog never holds locks for long or keeps
traffic waiting. `Sweeper` runs `sweep` in the background every so often.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from aura.settings.retention import RetentionSettings

log = logging.getLogger(__name__)

Sweep = Callable[[asyncpg.Connection, datetime, int], Awaitable[int]]

#: The advisory lock the sweeping process holds: every replica runs a `Sweeper`, one sweeps at a time.
_LOCK = 0x41555241_5245544E  # "AURA" "RETN"


async def sweep(
    db: asyncpg.Pool, sweeps: Sequence[Sweep], settings: RetentionSettings, now: datetime | None = None
) -> int:
    """Delete what `sweeps` find past `settings.days`; return how many things went (0 if another process sweeps)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.days)
    async with db.acquire() as holder:
        # A session lock, held across the batches' transactions; the pool does not undo those on release.
        if not await holder.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK):
            return 0
        try:
            return sum([await _drain(db, one, cutoff, settings) for one in sweeps])
        finally:
            try:
                await holder.execute("SELECT pg_advisory_unlock($1)", _LOCK)
            except BaseException:
                holder.terminate()  # a closed connection lets go of its locks; the pool replaces it
                raise


async def _drain(db: asyncpg.Pool, one: Sweep, cutoff: datetime, settings: RetentionSettings) -> int:
    deleted = 0
    while True:
        async with db.acquire() as connection, connection.transaction():
            batch = await one(connection, cutoff, settings.batch_rows)
        deleted += batch
        if batch < settings.batch_rows:
            return deleted
        await asyncio.sleep(settings.pause_s)


class Sweeper:
    """Runs `sweep` every `settings.sweep_every_s` in the background; a failed sweep is logged and tried next time.

    `database` is awaited at each sweep, so a database that is down when the
    sweeper starts (or goes away later) delays the sweep, nothing else.
    """

    def __init__(
        self, database: Callable[[], Awaitable[asyncpg.Pool]], sweeps: Sequence[Sweep], settings: RetentionSettings
    ) -> None:
        self._database = database
        self._sweeps = list(sweeps)
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="retention-sweep")

    async def stop(self) -> None:
        """Stop sweeping; a batch in flight is rolled back."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await sweep(await self._database(), self._sweeps, self._settings)
                if deleted:
                    log.info("retention sweep deleted expired rows", extra={"deleted": deleted})
            except Exception as exc:  # whatever failed (the database away, a connection dropped), sweep next period
                log.warning("retention sweep failed; trying again later", extra={"error": type(exc).__name__})
            await asyncio.sleep(self._settings.sweep_every_s)
