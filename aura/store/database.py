"""One asyncpg pool per process, with the pgvector codec registered on every connection."""

from __future__ import annotations

import asyncio

import asyncpg
from pgvector.asyncpg import register_vector

from aura.settings import Settings, get_settings
from aura.store import embedded

#: What asyncpg raises when the server is out of reach: stopped (a refused connection, or a missing
#: socket file), killed, restarting or recovering, or closing connections on its way down, and the
#: state errors of a connection the server dropped in the middle of an operation. A query failing
#: with these changed nothing it did not commit.
DATABASE_DOWN: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    FileNotFoundError,
)

_pools: dict[str, asyncpg.Pool] = {}
_lock = asyncio.Lock()


def connect_url(settings: Settings) -> str:
    """The database URL to use: the configured one, or the embedded server's (started if needed)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded.start(settings.data_dir / "pg")


def hold_database(settings: Settings) -> str:
    """The database URL for this process until `release_database`: the configured one, or the embedded server's.

    The embedded server is started if no one runs it, and stops at the last
    release of all the processes holding it (`aura up`, a command), so a
    command that started it leaves nothing behind, and one that found it
    running leaves it to whoever started it.
    """
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded.hold(settings.data_dir / "pg")


def revive_database(settings: Settings) -> bool:
    """Start the embedded server again if it died; return whether it had to (never with `database_url` set).

    A configured server is someone else's to run: the pools reconnect to it once it is back.
    """
    if settings.database_url is not None:
        return False
    return embedded.revive(settings.data_dir / "pg")


def release_database(settings: Settings) -> None:
    """Undo this process's `hold_database`."""
    if settings.database_url is None:
        embedded.release(settings.data_dir / "pg")


async def _init_connection(connection: asyncpg.Connection) -> None:
    await register_vector(connection)


async def _reset_connection(connection: asyncpg.Connection) -> None:
    """Make a returned connection fit for its next user: undo a transaction left open.

    asyncpg's default reset sends `RESET ALL`, `UNLISTEN *`, `CLOSE ALL` and
    `pg_advisory_unlock_all()` on every release, one more round trip per query.
    Aura keeps no session state on pooled connections (advisory locks are
    transaction-scoped but for the retention sweep's, which it releases or
    closes the connection over; nothing listens, sets or keeps cursors outside
    a transaction), so only a transaction abandoned mid-way needs undoing.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def pool(url: str, *, min_size: int = 1, max_size: int = 10, connect_timeout_s: float = 2.0) -> asyncpg.Pool:
    """The process's pool for `url`, created on first use.

    Migrations must have run first: they create the `vector` extension the codec needs. A
    connection the server dropped (it restarted) is opened again on its next use, so the pool
    heals when the server is back; opening one waits at most `connect_timeout_s`.
    """
    existing = _pools.get(url)
    if existing is not None and not existing.is_closing():
        return existing
    async with _lock:
        existing = _pools.get(url)
        if existing is None or existing.is_closing():
            existing = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                reset=_reset_connection,
                timeout=connect_timeout_s,
            )
            _pools[url] = existing
    return existing


async def configured_pool(settings: Settings | None = None) -> asyncpg.Pool:
    """The process's pool on the configured database (the embedded one, started if need be)."""
    settings = settings or get_settings()
    return await pool(connect_url(settings), connect_timeout_s=settings.supervision.database_timeout_s)


async def expire_pools() -> None:
    """Have every pool of this process open new connections: those it holds may lead to a server that died.

    Called when a query found the database out of reach, so the first requests
    after it is back do not each meet a connection to the dead server.
    """
    for found in list(_pools.values()):
        await found.expire_connections()


async def close_pool(url: str | None = None) -> None:
    """Close the pool for `url` (or every pool of this process)."""
    urls = [url] if url is not None else list(_pools)
    for key in urls:
        found = _pools.pop(key, None)
        if found is not None:
            await found.close()
