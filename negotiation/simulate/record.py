"""Recording simulation runs and their summaries in the database (table `simulation_runs`)."""

from __future__ import annotations

import json
import uuid

import asyncpg

from negotiation.simulate.scenario import Scenario


async def started(db: asyncpg.Pool, run_id: uuid.UUID, scenario: Scenario, shards: int, output_dir: str) -> None:
    """Record a run as running."""
    await db.execute(
        """INSERT INTO simulation_runs (run_id, scenario, shards, status, output_dir)
           VALUES ($1, $2::jsonb, $3, 'running', $4)""",
        run_id,
        scenario.model_dump_json(),
        shards,
        output_dir,
    )


async def finished(db: asyncpg.Pool, run_id: uuid.UUID, summary_json: str) -> None:
    """Record a run's summary and mark it finished."""
    await db.execute(
        """UPDATE simulation_runs SET status = 'finished', summary = $2::jsonb, finished_at = now()
           WHERE run_id = $1""",
        run_id,
        summary_json,
    )


async def failed(db: asyncpg.Pool, run_id: uuid.UUID, error: str) -> None:
    """Mark a run failed with the error that stopped it."""
    await db.execute(
        "UPDATE simulation_runs SET status = 'failed', error = $2, finished_at = now() WHERE run_id = $1",
        run_id,
        error,
    )


async def fetch(db: asyncpg.Pool, run_id: uuid.UUID) -> dict | None:
    """A recorded run as a dict (scenario and summary decoded), or None."""
    row = await db.fetchrow("SELECT * FROM simulation_runs WHERE run_id = $1", run_id)
    if row is None:
        return None
    found = dict(row)
    for key in ("scenario", "summary"):
        if found[key] is not None:
            found[key] = json.loads(found[key])
    return found
