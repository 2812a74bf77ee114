"""What one instance of the API builds once and shares between its requests: the apps' services and the like.

Each gateway replica builds its own app (`deployments.app.build_api`), and
the app holds a `Replica`: the database pool's users (the negotiation and
lattice services, the rate limiter, the circuit builder) are built on first
use, once, under one lock, and found by name afterwards. A test that wants
its own service in an app provides it before the first request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import asyncpg
from fastapi import Header
from starlette.requests import HTTPConnection

from aura.store import configured_pool

T = TypeVar("T")


class Replica:
    """The services of one app instance, each built once on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    def provide(self, name: str, service: Any) -> None:
        """Use `service` as the one called `name` (before anything built one)."""
        self._built[name] = service

    async def get(self, name: str, build: Callable[[], Awaitable[T]]) -> T:
        """The service called `name`, built by `build` the first time it is asked for."""
        found = self._built.get(name)
        if found is None:
            async with self._lock:
                found = self._built.get(name)
                if found is None:
                    found = self._built[name] = await build()
        return cast(T, found)

    def built(self, name: str) -> Any | None:
        """The service called `name` if it exists already."""
        return self._built.get(name)


def replica(connection: HTTPConnection) -> Replica:
    """The replica services of the app serving `connection` (an HTTP request or a WebSocket)."""
    return cast(Replica, connection.app.state.replica)


async def database() -> asyncpg.Pool:
    """This process's asyncpg pool (created on first use)."""
    return await configured_pool()


#: An `Idempotency-Key`: printable ASCII without spaces, as Stripe's and most APIs' keys are.
IDEMPOTENCY_KEY = Header(
    default=None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    pattern=r"^[!-~]+$",
    description="A resend with the same key and body gets the first answer; nothing runs twice.",
)
