"""FastAPI dependencies shared by the routes: the database pool of this replica, the `Idempotency-Key` header."""

from __future__ import annotations

import asyncpg
from fastapi import Header

from aura.settings import get_settings
from aura.store import connect_url, pool


async def database() -> asyncpg.Pool:
    """This replica's asyncpg pool (created on first use)."""
    return await pool(connect_url(get_settings()))


#: An `Idempotency-Key`: printable ASCII without spaces, as Stripe's and most APIs' keys are.
IDEMPOTENCY_KEY = Header(default=None, alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[!-~]+$",
                         description="A resend with the same key and body gets the first answer; nothing runs twice.")
