"""Retention: an ended session's cells leave their hosts at once, and its rows go after `AURA_RETENTION_DAYS`.

The usage ledger is never swept, and sessions that are active or ended
recently keep everything.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from aura.settings import RetentionSettings
from aura.store import sweep
from lattice import sweep_ended_sessions
from lattice.directory import CellDirectory

pytestmark = pytest.mark.usefixtures("ray_cluster")

KINDS = ["cell:architect", "cell:engineer", "cell:reviewer", "cell:debugger", "cell:research", "cell:synthesizer"]


async def a_session(db: asyncpg.Pool, *, ended_days_ago: float | None) -> str:
    """A session with a message, a usage event and saved state for each cell; ended that long ago (or active)."""
    session_id = f"retention-{uuid.uuid4().hex[:12]}"
    ended_at = None if ended_days_ago is None else datetime.now(UTC) - timedelta(days=ended_days_ago)
    status = "active" if ended_at is None else "ended"
    await db.execute(
        "INSERT INTO lattice_sessions (session_id, user_id, status, ended_at) VALUES ($1, 'retention', $2, $3)",
        session_id,
        status,
        ended_at,
    )
    await db.execute(
        "INSERT INTO lattice_messages (session_id, role, content) VALUES ($1, 'user', 'hello')", session_id
    )
    for kind in KINDS:
        await db.execute(
            "INSERT INTO actor_state (kind, actor_id, state) VALUES ($1, $2, $3::jsonb)", kind, session_id, "{}"
        )
        await db.execute(
            "INSERT INTO actor_log (kind, actor_id, log, seq, item) VALUES ($1, $2, 'memory', 1, $3::jsonb)",
            kind,
            session_id,
            json.dumps({"text": "a step"}),
        )
    await db.execute(
        """INSERT INTO usage_events (idempotency_key, user_id, event_type, quantity, unit_price, amount, session_id)
           VALUES ($1, 'retention', 'message', 1, 0.001, 0.001, $2)""",
        f"retention:{session_id}",
        session_id,
    )
    return session_id


async def rows_of(db: asyncpg.Pool, session_id: str) -> dict[str, int]:
    counts = {}
    for table, column in (
        ("lattice_sessions", "session_id"),
        ("lattice_messages", "session_id"),
        ("actor_state", "actor_id"),
        ("actor_log", "actor_id"),
        ("usage_events", "session_id"),
    ):
        counts[table] = await db.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", session_id)
    return counts


@pytest.fixture
async def db(database_url: str):
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


async def test_sessions_ended_past_retention_go_in_batches_and_the_rest_stays(db: asyncpg.Pool) -> None:
    old = [await a_session(db, ended_days_ago=31) for _ in range(5)]
    recent = await a_session(db, ended_days_ago=29)
    active = await a_session(db, ended_days_ago=None)
    deleted = await sweep(db, [sweep_ended_sessions], RetentionSettings(days=30, batch_rows=2, pause_s=0))
    assert deleted >= 5  # in three batches of at most two; earlier tests' sessions may be swept too
    for session_id in old:
        assert await rows_of(db, session_id) == {
            "lattice_sessions": 0,
            "lattice_messages": 0,
            "actor_state": 0,
            "actor_log": 0,
            "usage_events": 1,  # the ledger is never swept
        }
    for session_id in (recent, active):
        assert await rows_of(db, session_id) == {
            "lattice_sessions": 1,
            "lattice_messages": 1,
            "actor_state": 6,
            "actor_log": 6,
            "usage_events": 1,
        }


async def test_one_process_sweeps_at_a_time(db: asyncpg.Pool) -> None:
    old = await a_session(db, ended_days_ago=40)
    async with db.acquire() as other:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1)", 0x41555241_5245544E)
        try:
            assert await sweep(db, [sweep_ended_sessions], RetentionSettings(days=30)) == 0
            assert (await rows_of(db, old))["lattice_sessions"] == 1
        finally:
            await other.execute("SELECT pg_advisory_unlock($1)", 0x41555241_5245544E)
    assert await sweep(db, [sweep_ended_sessions], RetentionSettings(days=30)) >= 1
    assert (await rows_of(db, old))["lattice_sessions"] == 0


async def test_ending_a_session_deactivates_its_cells(client, auth, new_session) -> None:
    session_id = await new_session("retention-dana")
    answer = await client.post(
        "/v1/aura/chat",
        headers=auth("retention-dana"),
        json={"prompt": "Design a cache for a REST API", "session_id": session_id},
    )
    assert answer.status_code == 200, answer.text
    directory = CellDirectory()
    steps = [step["agent_type"] for step in answer.json()["agent_responses"]]
    active = {role: await directory.handle(role).active_ids.remote() for role in steps}
    assert all(session_id in ids for ids in active.values())
    ended = await client.post(f"/v1/aura/sessions/{session_id}/end", headers=auth("retention-dana"))
    assert ended.status_code == 200
    for role in steps:
        assert session_id not in await directory.handle(role).active_ids.remote()
    traces = await client.get(f"/v1/aura/sessions/{session_id}/traces", headers=auth("retention-dana"))
    assert traces.status_code == 200  # saved state stays until the sweep: an ended session's traces still load
