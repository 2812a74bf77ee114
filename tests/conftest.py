"""Session-wide real dependencies: one embedded PostgreSQL and one local Ray cluster."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from aura.settings import Settings, get_settings
from aura.store import close_pool, embedded, migrate, pool
from deployments.runtime import init_ray

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory of the session's own, so tests never touch `~/.aura`."""
    # Unix socket paths are limited to ~107 bytes; pytest's temp root is short enough.
    return tmp_path_factory.mktemp("aura")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> Iterator[str]:
    """A real embedded PostgreSQL with pgvector, migrated, stopped after the session."""
    pgdata = data_dir / "pg"
    url = embedded.hold(pgdata)  # a command run by a test that finds it running leaves it running
    import asyncio

    asyncio.run(migrate(url))
    yield url
    embedded.release(pgdata)


@pytest.fixture(scope="session")
def settings(data_dir: Path, database_url: str) -> Iterator[Settings]:
    """Settings pointing at the session's data directory and database (also for Ray workers)."""
    os.environ["AURA_DATA_DIR"] = str(data_dir)
    os.environ["AURA_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def core_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set core settings (`AURA_*`) for what the app reads next; restored after the test."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AURA_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def ray_cluster(settings: Settings) -> Iterator[None]:
    """One local Ray cluster for the whole session; workers inherit the session's settings."""
    init_ray(
        num_cpus=4,
        include_dashboard=False,
        namespace="aura-tests",
        runtime_env={
            "env_vars": {
                # Workers import test-only actor classes (tests/actors/counters.py) by module path.
                "PYTHONPATH": str(REPO_ROOT),
                "AURA_DATA_DIR": str(settings.data_dir),
                "AURA_DATABASE_URL": os.environ["AURA_DATABASE_URL"],
            }
        },
        logging_level="WARNING",
    )
    yield
    import ray  # after deployments (above), which keeps Ray from rebuilding the venv for workers

    ray.shutdown()


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The process's asyncpg pool on the session database."""
    yield await pool(database_url)
    await close_pool(database_url)
