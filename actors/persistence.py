"""Saved logical-actor state in PostgreSQL (`actor_state`), read and written in batches."""

from __future__ import annotations

import json

import asyncpg


class StateStore:
    """Loads and saves snapshots of one kind of logical actor."""

    def __init__(self, db: asyncpg.Pool, kind: str) -> None:
        self._db = db
        self.kind = kind

    async def load_many(self, actor_ids: list[str]) -> dict[str, dict]:
        """The saved snapshots of those of `actor_ids` that have one."""
        if not actor_ids:
            return {}
        rows = await self._db.fetch(
            "SELECT actor_id, state FROM actor_state WHERE kind = $1 AND actor_id = ANY($2::text[])",
            self.kind,
            actor_ids,
        )
        return {row["actor_id"]: json.loads(row["state"]) for row in rows}

    async def save_many(self, snapshots: dict[str, dict]) -> None:
        """Insert or replace the snapshots, all in one statement."""
        if not snapshots:
            return
        ids = list(snapshots)
        states = [json.dumps(snapshots[i]) for i in ids]
        await self._db.execute(
            """INSERT INTO actor_state (kind, actor_id, state, saved_at)
               SELECT $1, id, state::jsonb, now() FROM unnest($2::text[], $3::text[]) AS t(id, state)
               ON CONFLICT (kind, actor_id) DO UPDATE SET state = EXCLUDED.state, saved_at = EXCLUDED.saved_at""",
            self.kind,
            ids,
            states,
        )

    async def delete(self, actor_id: str) -> None:
        """Forget one actor's saved state."""
        await self._db.execute("DELETE FROM actor_state WHERE kind = $1 AND actor_id = $2", self.kind, actor_id)
