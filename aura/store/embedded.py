"""The embedded PostgreSQL (with pgvector) that runs when no database URL is configured."""

from __future__ import annotations

import logging
from pathlib import Path

import pgserver

log = logging.getLogger(__name__)


def start(pgdata: Path) -> str:
    """Start (or reuse) the embedded server in `pgdata` and return its connection URL.

    The server outlives this process on purpose: `aura up` and the tests stop it
    explicitly with `stop`, and a second `aura up` finds it running and reuses it.
    """
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    log.info("embedded postgres ready", extra={"pgdata": str(pgdata)})
    return server.get_uri()


def stop(pgdata: Path) -> None:
    """Stop the embedded server in `pgdata` if it is running."""
    if not (pgdata / "postmaster.pid").exists():
        return
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    server.cleanup()


def is_running(pgdata: Path) -> bool:
    """Whether an embedded server is running in `pgdata`."""
    from pgserver.postgres_server import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()
