"""The shared asyncpg pool: what a connection carries back into the pool."""

from __future__ import annotations

import asyncpg

from aura.store import close_pool, pool


async def test_a_connection_returned_inside_a_transaction_comes_back_clean(database_url: str) -> None:
    # A pool of its own (one connection), so the next acquire gets the connection just returned.
    url = f"{database_url}{'&' if '?' in database_url else '?'}application_name=aura-reset-test"
    db = await pool(url, max_size=1)
    other = await asyncpg.connect(database_url)
    try:
        connection = await db.acquire()
        await connection.execute("BEGIN")
        await connection.execute("SELECT pg_advisory_xact_lock(4242)")
        await db.release(connection)

        again = await db.acquire()
        try:
            assert not again.is_in_transaction()
            # The transaction's lock went with it: another session takes it at once.
            assert await other.fetchval("SELECT pg_try_advisory_lock(4242)") is True
        finally:
            await db.release(again)
    finally:
        await other.close()
        await close_pool(url)
