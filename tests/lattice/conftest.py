"""Fixtures of the lattice tests: the API in-process, tokens, and sessions owned by test users."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import uvicorn

from aura.auth import mint_token
from aura.settings import Settings
from deployments.app import build_api


@pytest.fixture(scope="session")
def api_app(settings: Settings, ray_cluster: None):
    """The whole FastAPI app, with the session's database and Ray."""
    return build_api()


@pytest.fixture(scope="session")
async def client(api_app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in-process."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app), base_url="http://aura.test", timeout=120
    ) as http:
        yield http


@pytest.fixture(scope="session")
def auth(settings: Settings) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a fresh token for a user."""
    return lambda user: {"Authorization": f"Bearer {mint_token(user)}"}


@pytest.fixture(scope="session")
def new_session(client: httpx.AsyncClient, auth) -> Callable[[str], Awaitable[str]]:
    """Create a session for a user; returns its id."""

    async def create(user: str) -> str:
        answer = await client.post("/v1/aura/sessions", headers=auth(user))
        assert answer.status_code == 201, answer.text
        return answer.json()["session_id"]

    return create


@contextlib.asynccontextmanager
async def _serving(app) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def serve():
    """Serve an ASGI app on a loopback port for the duration of an `async with`; yields its base URL."""
    return _serving
