"""The embedded PostgreSQL: who holds it, who stops it, and a server killed with `kill -9` recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from aura.store import embedded


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def hold_in_another_process(pgdata: Path) -> subprocess.Popen[str]:
    """A process that holds the server until its stdin closes, then releases it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from aura.store import embedded\n"
            f"embedded.hold(Path({str(pgdata)!r})); print('held', flush=True); sys.stdin.read()\n"
            f"embedded.release(Path({str(pgdata)!r}))",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_the_last_holder_to_let_go_stops_the_server(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    other = hold_in_another_process(pgdata)
    try:
        embedded.hold(pgdata)  # finds it running: the same server, a second holder
        assert embedded.is_running(pgdata)
        embedded.release(pgdata)
        assert embedded.is_running(pgdata)  # the other process still holds it
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait(timeout=60)
    assert not embedded.is_running(pgdata)


def test_a_release_without_a_hold_stops_nothing(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    embedded.start(pgdata)
    try:
        embedded.release(pgdata)
        assert embedded.is_running(pgdata)
    finally:
        embedded.stop(pgdata)


def test_a_server_whose_holders_were_all_killed_is_adopted_and_stopped(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    other = hold_in_another_process(pgdata)
    other.kill()  # as `kill -9` of an `aura up`: no release
    other.wait(timeout=30)
    server = postmaster_pid(pgdata)
    embedded.hold(pgdata)
    assert postmaster_pid(pgdata) == server  # reused, not a second server
    embedded.release(pgdata)
    assert not embedded.is_running(pgdata)


def test_a_server_killed_without_a_shutdown_is_cleared_and_started_again(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    embedded.hold(pgdata)
    killed = postmaster_pid(pgdata)
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(killed) and psutil.Process(killed).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (pgdata / "postmaster.pid").exists()  # the stale lock a crash leaves
    try:
        url = embedded.hold(pgdata)
        assert postmaster_pid(pgdata) != killed and embedded.is_running(pgdata)
        assert url.startswith("postgresql://")
    finally:
        embedded.release(pgdata)
        embedded.release(pgdata)
    assert not embedded.is_running(pgdata)
