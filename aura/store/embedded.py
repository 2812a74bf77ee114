"""The embedded PostgreSQL (with pgvector) that runs when no database URL is configured.

pgserver starts the server detached (through `pg_ctl`), so it outlives the
process that started it. Who may stop it is settled by its holders: `hold`
records this process in `{pgdata}.holders` and `release` stops the server
when the last holder still alive lets go. A server whose holders are all
gone (each killed with `kill -9`) is adopted by the next `hold`, and a
`postmaster.pid` left by a server killed the same way is cleared before a
new one starts. `{pgdata}.lock` serialises all of this between processes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import signal
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import psutil

log = logging.getLogger(__name__)

#: How long a killed server's backends get to notice and exit before they are killed too.
_ORPHAN_GRACE_S = 5.0


def start(pgdata: Path) -> str:
    """Start (or reuse) the embedded server in `pgdata` and return its connection URL.

    The server outlives this process: `stop`, or the last `release` when it
    has holders, stops it.
    """
    with _locked(pgdata) as resolved:
        return _start(resolved)


def stop(pgdata: Path, timeout_s: float = 15.0) -> None:
    """Stop the embedded server in `pgdata` (a fast shutdown), if it is running, whoever holds it."""
    with _locked(pgdata) as resolved:
        _stop(resolved, timeout_s)


def is_running(pgdata: Path) -> bool:
    """Whether an embedded server is running in `pgdata`."""
    return _postmaster(pgdata.resolve()) is not None


def revive(pgdata: Path) -> bool:
    """Start the server in `pgdata` again if it is not running (killed, crashed); return whether it had to.

    Its data directory is as the dead server left it: PostgreSQL replays its
    write-ahead log on start, so every committed transaction is there and none
    half-applied. Whoever held the server still holds it.
    """
    if is_running(pgdata):
        return False
    started = time.monotonic()
    log.warning("embedded postgres is not running; starting it again", extra={"pgdata": str(pgdata)})
    start(pgdata)
    log.warning(
        "embedded postgres is back",
        extra={"pgdata": str(pgdata), "seconds": round(time.monotonic() - started, 2)},
    )
    return True


def hold(pgdata: Path) -> str:
    """Start (or reuse) the server in `pgdata` on behalf of this process and return its URL; `release` undoes it."""
    with _locked(pgdata) as resolved:
        url = _start(resolved)
        _write_holders(resolved, [*_live_holders(resolved), _holder(psutil.Process())])
    return url


def release(pgdata: Path, timeout_s: float = 15.0) -> None:
    """Undo one `hold` of this process; the server stops when no live holder is left."""
    with _locked(pgdata) as resolved:
        holders = _live_holders(resolved)
        me = _holder(psutil.Process())
        if me not in holders:  # never held here (a `hold` that failed): nothing of ours to stop
            return
        holders.remove(me)
        _write_holders(resolved, holders)
        if not holders:
            _stop(resolved, timeout_s)


@contextmanager
def _locked(pgdata: Path) -> Iterator[Path]:
    """Hold `{pgdata}.lock` for the block; yield `pgdata` resolved, as the server's processes name it."""
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # An flock belongs to the open file: a process killed while holding it lets go of it.
    with open(pgdata.with_name(pgdata.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield pgdata


def _start(pgdata: Path) -> str:
    pgdata.mkdir(exist_ok=True)
    if _postmaster(pgdata) is None:
        _clear_stale(pgdata)
    # A new handle each time: pgserver's cached one (`get_server`) keeps the URL of a server stopped since.
    server = _pgserver().PostgresServer(pgdata, cleanup_mode=None)
    log.info("embedded postgres ready", extra={"pgdata": str(pgdata)})
    return server.get_uri()


def _pgserver() -> ModuleType:
    """pgserver, imported when a server is wanted rather than by every command that imports the store.

    Its import looks up a runtime directory and warns when `XDG_RUNTIME_DIR` is
    unset (as in containers and under `ssh`); the fallback it takes is fine.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver
    return pgserver


def _stop(pgdata: Path, timeout_s: float) -> None:
    postmaster = _postmaster(pgdata)
    if postmaster is None:
        return
    # SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
    postmaster.send_signal(signal.SIGINT)
    if not _wait_gone([postmaster], timeout_s):
        log.warning("embedded postgres did not stop in time; killing it", extra={"pgdata": str(pgdata)})
        _kill([postmaster, *_working_in(pgdata)])


def _postmaster(pgdata: Path) -> psutil.Process | None:
    """The live process `postmaster.pid` names, or None when it names none (no file, or one left by a dead server)."""
    try:
        process = psutil.Process(int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0]))
    except (OSError, ValueError, psutil.Error):
        return None
    if not _alive(process):
        return None
    try:
        # After a reboot or a container restart the pid may belong to another process: the
        # postmaster works in its data directory. Unreadable counts as the postmaster, since
        # clearing the lock of a live server would let a second one corrupt the data.
        working = Path(process.cwd())
    except psutil.AccessDenied:
        return process
    except psutil.Error:
        return None
    return process if working == pgdata else None


def _clear_stale(pgdata: Path) -> None:
    """Clear what a server killed without a shutdown leaves: backends still exiting and the lock files naming it."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return
    # The orphaned backends still hold the old shared memory, which would stop a new server.
    orphans = _working_in(pgdata)
    if not _wait_gone(orphans, _ORPHAN_GRACE_S):
        _kill(orphans)
    lines = pidfile.read_text().splitlines()
    log.warning("clearing a stale postmaster.pid", extra={"pgdata": str(pgdata), "pid": lines[0] if lines else None})
    if len(lines) >= 5 and lines[3] and lines[4]:
        # The socket's lock names the same pid, which PostgreSQL would take for a live server if it was reused.
        socket_lock = Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock"
        if socket_lock.exists() and socket_lock.read_text().split("\n", 1)[0] == lines[0]:
            socket_lock.unlink()
    pidfile.unlink()


def _working_in(pgdata: Path) -> list[psutil.Process]:
    """The PostgreSQL processes working in `pgdata`: a server's postmaster and backends all do."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.name() == "postgres" and _alive(process) and Path(process.cwd()) == pgdata:
                found.append(process)
        except psutil.Error:
            continue
    return found


def _wait_gone(processes: list[psutil.Process], timeout_s: float) -> bool:
    """Wait until every process has exited; return whether they all did in time.

    An exited process whose parent has not reaped it yet (a zombie: the
    postmaster's parent is init once `pg_ctl` exits) counts as gone.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if not any(_alive(p) for p in processes):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _alive(process: psutil.Process) -> bool:
    """Whether `process` still runs: not exited, and not an exited one waiting for its parent to reap it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            continue
    _wait_gone(processes, _ORPHAN_GRACE_S)


def _holder(process: psutil.Process) -> dict[str, float]:
    """A holder as recorded: its pid and its start time, so a pid given to a new process is not taken for it."""
    return {"pid": process.pid, "started": process.create_time()}


def _live_holders(pgdata: Path) -> list[dict[str, float]]:
    path = pgdata.with_name(pgdata.name + ".holders")
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    live = []
    for holder in recorded:
        try:
            process = psutil.Process(int(holder["pid"]))
            if _alive(process) and _holder(process) == holder:
                live.append(holder)
        except (psutil.Error, KeyError, TypeError, ValueError):
            continue
    return live


def _write_holders(pgdata: Path, holders: list[dict[str, float]]) -> None:
    path = pgdata.with_name(pgdata.name + ".holders")
    staged = path.with_name(path.name + ".new")
    staged.write_text(json.dumps(holders))
    # A rename is atomic: a process killed while writing leaves the previous list whole.
    staged.replace(path)
