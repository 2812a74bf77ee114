"""Numbered SQL migrations, applied in order, once, under a PostgreSQL advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SQL_DIR = Path(__file__).with_name("sql")
# Any constant works; it only has to be the same for every process that migrates.
_LOCK_KEY = 0x41555241  # "AURA"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One SQL file: its number, its name and its text."""

    version: int
    name: str
    sql: str


def available(directory: Path = SQL_DIR) -> list[Migration]:
    """The migrations shipped in `directory`, in version order."""
    found: list[Migration] = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number in {directory}: {versions}")
    return found


async def migrate(url: str, directory: Path = SQL_DIR) -> list[int]:
    """Apply every migration not yet recorded in `schema_migrations`; return the versions applied.

    The advisory lock makes concurrent runners take turns: the second one finds
    everything recorded and applies nothing. Each migration runs in its own
    transaction with its record, so a failure leaves no half-applied version.
    """
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await connection.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version integer PRIMARY KEY,
                       name text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}
            applied: list[int] = []
            for migration in available(directory):
                if migration.version in done:
                    continue
                async with connection.transaction():
                    await connection.execute(migration.sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
                applied.append(migration.version)
            return applied
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await connection.close()
