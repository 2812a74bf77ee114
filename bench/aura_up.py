"""An `aura up` of a benchmark's own: a scratch data directory, free ports, stopped when done."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def up_env(data_dir: Path) -> dict[str, str]:
    """This environment without Aura's or Ray's variables, pointed at `data_dir` and two free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AURA_", "RAY_ADDRESS"))}
    return env | {
        "AURA_DATA_DIR": str(data_dir),
        "AURA_SERVE_PORT": str(free_port()),
        "AURA_DASHBOARD_PORT": str(free_port()),
    }


def token_for(env: dict[str, str], user: str) -> str:
    """A bearer token for `user` from the `aura up` that `env` points at (its data directory's secret)."""
    minted = subprocess.run(
        [sys.executable, "-m", "deployments", "token", "--user", user],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return minted.stdout.strip()


@contextmanager
def running_up(env: dict[str, str]) -> Iterator[str]:
    """Run `aura up` with `env` until the block ends; yield its API address once it says it is up.

    What it prints afterwards goes to `{AURA_DATA_DIR}/up.log` (read off its pipe, which would
    otherwise fill and stop it).
    """
    up = subprocess.Popen(
        [sys.executable, "-m", "deployments", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 300
        for line in up.stdout:
            if line.startswith("Aura is up"):
                break
            if time.monotonic() > deadline:
                raise SystemExit("aura up did not start")
        else:
            raise SystemExit(f"aura up exited with {up.wait()}")
        threading.Thread(target=_copy, args=(up.stdout, Path(env["AURA_DATA_DIR"]) / "up.log"), daemon=True).start()
        yield f"http://127.0.0.1:{env['AURA_SERVE_PORT']}"
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=120)


def _copy(lines: IO[str], path: Path) -> None:
    with path.open("a") as log:
        for line in lines:
            log.write(line)
            log.flush()
