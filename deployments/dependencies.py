"""FastAPI dependencies shared by the routes: the database pool of this replica."""

from __future__ import annotations

import asyncpg

from aura.settings import get_settings
from aura.store import connect_url, pool


async def database() -> asyncpg.Pool:
    """This replica's asyncpg pool (created on first use)."""
    return await pool(connect_url(get_settings()))
