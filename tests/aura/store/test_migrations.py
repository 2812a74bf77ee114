"""Migrations: applied once, in order, and safe when two processes run them together."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from aura.store.migrations import available, migrate


@pytest.fixture
async def empty_database(database_url: str):
    """A fresh database on the session server, dropped afterwards."""
    name = f"m_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url.replace("/postgres?", f"/{name}?")
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def applied_versions(url: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        return [r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await connection.close()


async def test_every_shipped_migration_applies_in_order(empty_database: str) -> None:
    shipped = [m.version for m in available()]
    assert await migrate(empty_database) == shipped
    assert await applied_versions(empty_database) == shipped


async def test_a_second_run_applies_nothing(empty_database: str) -> None:
    await migrate(empty_database)
    assert await migrate(empty_database) == []


async def test_two_processes_migrating_at_once_apply_each_version_once(empty_database: str) -> None:
    script = (
        "import asyncio, json, sys; from aura.store import migrate; "
        "print(json.dumps(asyncio.run(migrate(sys.argv[1]))))"
    )
    runners = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, empty_database, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [await runner.communicate() for runner in runners]
    assert all(runner.returncode == 0 for runner in runners), outputs
    applied = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    assert sorted(applied, key=len) == [[], [m.version for m in available()]]
    assert await applied_versions(empty_database) == [m.version for m in available()]


async def test_a_failing_migration_leaves_nothing_half_applied(empty_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(empty_database, tmp_path)
    assert await applied_versions(empty_database) == [1]
    connection = await asyncpg.connect(empty_database)
    try:
        assert await connection.fetchval("SELECT to_regclass('half')") is None
    finally:
        await connection.close()


def test_two_files_with_one_number_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(RuntimeError, match="share a number"):
        available(tmp_path)
