"""What of the lattice expires: sessions ended longer ago than the retention, with their messages and cells' state.

A `Sweep` for `aura.store.retention`. The usage ledger keeps its rows (a
session id in a usage event is a plain value, not a reference), so billing
and usage summaries are unaffected.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from lattice.cells import CELL_CLASSES

_KINDS = sorted(cls.kind for cls in CELL_CLASSES.values())


async def sweep_ended_sessions(connection: asyncpg.Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` sessions ended before `cutoff`: their cells' saved state, their messages, the session."""
    rows = await connection.fetch(
        """SELECT session_id FROM lattice_sessions WHERE status = 'ended' AND ended_at < $1
           ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        cutoff,
        limit,
    )
    ids = [row["session_id"] for row in rows]
    if not ids:
        return 0
    for table in ("actor_log", "actor_state"):
        await connection.execute(
            f"DELETE FROM {table} WHERE kind = ANY($1::text[]) AND actor_id = ANY($2::text[])", _KINDS, ids
        )
    # Messages go with their session (ON DELETE CASCADE).
    await connection.execute("DELETE FROM lattice_sessions WHERE session_id = ANY($1::text[])", ids)
    return len(ids)
