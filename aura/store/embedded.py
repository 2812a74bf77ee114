"""The embedded PostgreSQL (with pgvector) that runs when no database URL is configured."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pgserver
import psutil
from pgserver.utils import PostmasterInfo

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


def stop(pgdata: Path, timeout_s: float = 15.0) -> None:
    """Stop the embedded server in `pgdata` (a fast shutdown), if it is running."""
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.process is None:
        return
    # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
    info.process.send_signal(signal.SIGINT)
    try:
        info.process.wait(timeout_s)
    except psutil.TimeoutExpired:
        log.warning("embedded postgres did not stop in time; killing it", extra={"pgdata": str(pgdata)})
        info.process.kill()


def is_running(pgdata: Path) -> bool:
    """Whether an embedded server is running in `pgdata`."""
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()
