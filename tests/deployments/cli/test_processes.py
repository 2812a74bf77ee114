"""No command but `aura up` leaves a process behind: on success, on an error, and on Ctrl-C or SIGTERM.

Each command runs in a fresh home with no Aura or Ray variables, as a new
user runs it. While it runs, its process tree is walked; afterwards none of
those processes may be alive, and the data directory's `postmaster.pid`
may name no live server (the embedded PostgreSQL detaches from the tree).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from aura.store import embedded

Seen = dict[int, tuple[psutil.Process, str]]  # every process of a command's tree, with its name when seen


def fresh_env(home: Path) -> dict[str, str]:
    """A new user's shell: a home of its own and nothing of Aura's or Ray's."""
    return {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }


def alive(processes: Seen) -> list[str]:
    """Those of `processes` still running (an exited one waiting to be reaped is not)."""
    left = []
    for process, _ in processes.values():
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return left


def run_watched(
    args: list[str],
    home: Path,
    *,
    interrupt_when: Callable[[Seen], bool] | None = None,
    interrupt: signal.Signals = signal.SIGINT,
) -> tuple[int, str, Seen]:
    """Run `aura ARGS`, collecting every process of its tree as it runs; signal it once `interrupt_when` holds."""
    command = subprocess.Popen(
        [sys.executable, "-m", "deployments", *args],
        env=fresh_env(home),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    root = psutil.Process(command.pid)
    seen: Seen = {}
    deadline = time.monotonic() + 240
    while command.poll() is None:
        assert time.monotonic() < deadline, f"aura {' '.join(args)} did not finish"
        try:
            for child in root.children(recursive=True):
                if child.pid not in seen:
                    seen[child.pid] = (child, child.name())
        except psutil.NoSuchProcess:
            pass
        if interrupt_when is not None and interrupt_when(seen):
            command.send_signal(interrupt)
            interrupt_when = None
        time.sleep(0.05)
    output = command.stdout.read() if command.stdout else ""
    return command.returncode, output, seen


def assert_nothing_left(home: Path, seen: Seen, output: str) -> None:
    deadline = time.monotonic() + 20  # Ray's agents notice their raylet is gone within a few seconds
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert alive(seen) == [], output[-3000:]
    assert not embedded.is_running(home / ".aura" / "pg"), output[-3000:]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    loft = {"id": "loft-1", "name": "Loft", "description": "A loft by the river", "base_price": 200, "floor_price": 150}
    (home / "items.json").write_text(json.dumps([loft]))
    return home


COMMANDS = [
    (["config"], 0),
    (["token", "--user", "alice"], 0),
    (["dashboard"], 1),  # no Ray token in a fresh home
    (["status"], 1),  # no `aura up` running
    (["db", "migrate"], 0),
    (["catalog", "load", "items.json"], 0),
    (["agent", "--budget", "100", "--query", "loft"], 2),  # no API to reach
    (["simulate", "--negotiations", "2000", "--deadline", "20", "--no-progress", "--output-dir", "out"], 0),
    (["simulate", "--negotiations", "2000", "--no-record", "--no-progress", "--output-dir", "out2"], 0),
]


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a[:2]) for a, _ in COMMANDS])
def test_a_command_stops_everything_it_started(home: Path, args: list[str], code: int) -> None:
    returncode, output, seen = run_watched(args, home)
    assert returncode == code, output[-3000:]
    assert "Traceback" not in output
    assert_nothing_left(home, seen, output)


def test_a_simulation_that_fails_stops_what_it_started(home: Path) -> None:
    (home / "taken").write_text("a file where the outputs' directory should go")
    returncode, output, seen = run_watched(
        ["simulate", "--negotiations", "2000", "--deadline", "20", "--no-progress", "--output-dir", "taken"], home
    )
    assert returncode != 0
    assert ray_started(seen)  # it failed after starting Ray and the database
    assert_nothing_left(home, seen, output)


def ray_started(seen: Seen) -> bool:
    """Whether the command's local Ray has its raylet up (so Ctrl-C lands mid-run)."""
    return any(name == "raylet" for _, name in seen.values())


@pytest.mark.parametrize("interrupt", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_simulation_stops_what_it_started(home: Path, interrupt: signal.Signals) -> None:
    returncode, output, seen = run_watched(
        ["simulate", "--negotiations", "50000000", "--deadline", "100", "--no-progress", "--output-dir", "big"],
        home,
        interrupt_when=ray_started,
        interrupt=interrupt,
    )
    assert returncode != 0
    assert ray_started(seen)
    assert_nothing_left(home, seen, output)
