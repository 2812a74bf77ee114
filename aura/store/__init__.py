"""PostgreSQL storage: the embedded server, the per-process pool and migrations."""

from aura.store.database import close_pool, connect_url, hold_database, pool, release_database
from aura.store.migrations import migrate
from aura.store.retention import Sweep, Sweeper, sweep

__all__ = [
    "connect_url",
    "hold_database",
    "release_database",
    "pool",
    "close_pool",
    "migrate",
    "Sweep",
    "Sweeper",
    "sweep",
]
