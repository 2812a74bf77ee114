"""PostgreSQL storage: the embedded server, the per-process pool and migrations."""

from aura.store.database import (
    DATABASE_DOWN,
    close_pool,
    configured_pool,
    connect_url,
    expire_pools,
    hold_database,
    pool,
    release_database,
    revive_database,
)
from aura.store.migrations import migrate
from aura.store.retention import Sweep, Sweeper, sweep

__all__ = [
    "DATABASE_DOWN",
    "connect_url",
    "hold_database",
    "release_database",
    "revive_database",
    "pool",
    "configured_pool",
    "close_pool",
    "expire_pools",
    "migrate",
    "Sweep",
    "Sweeper",
    "sweep",
]
