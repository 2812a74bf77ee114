"""PostgreSQL storage: the embedded server, the per-process pool and migrations."""

from aura.store.database import close_pool, connect_url, pool
from aura.store.migrations import migrate

__all__ = ["connect_url", "pool", "close_pool", "migrate"]
