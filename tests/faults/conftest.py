"""Fixtures of the fault tests: the negotiation tests' catalog and settings, a served app, a bounded wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tests.lattice.conftest import serve
from tests.negotiation.conftest import catalog, negotiation_env

__all__ = ["catalog", "negotiation_env", "recovered", "serve", "until"]

T = TypeVar("T")


async def recovered(attempt: Callable[[], Awaitable[T | None]], within_s: float, pause_s: float = 0.2) -> T:
    """Run `attempt` until it returns something (not None); fail if that takes longer than `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        found = await attempt()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not recovered within {within_s:g} s")
        await asyncio.sleep(pause_s)


async def until(condition: Callable[[], bool], within_s: float, pause_s: float = 0.05) -> None:
    """Wait until `condition()` holds; fail if that takes longer than `within_s`."""

    async def check() -> bool | None:
        return True if condition() else None

    await recovered(check, within_s, pause_s)
