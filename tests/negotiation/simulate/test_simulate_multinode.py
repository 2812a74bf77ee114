"""Two Ray nodes on this machine (a head and a joined worker node): the shard hosts land on both.

This cluster is separate from the session's, so it is started with `ray start`
and driven by `python -m deployments simulate` in a subprocess with
RAY_ADDRESS set, the way `ray job submit` runs it. Only the processes this
test started are stopped (never `ray stop`, which would stop every Ray on the
machine, the session's included).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

NODES_UP = """
import json, sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
deadline = time.time() + 120
while time.time() < deadline:
    alive = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
    if len(alive) == 2:
        print(json.dumps(alive))
        sys.exit(0)
    time.sleep(0.5)
sys.exit("the second node never joined")
"""


#: Set to a fresh value in the environment of this test's cluster, so teardown finds all of its processes.
_MARKER = "AURA_TEST_CLUSTER"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(started: list[subprocess.Popen], marker: str) -> None:
    """Stop the `ray start --block` processes and every process of their cluster, by pid.

    Cluster processes are found by `marker`, an environment variable they all
    inherit, and as descendants of those, collected before anything is
    signalled. Ray renames some of them (`ray::DashboardAgent`) and the new
    title can overwrite their environment block, so neither the command line
    nor the environment alone finds them all; the raylet's children do.
    """
    wanted = f"{_MARKER}={marker}".encode()
    roots = [p for p in map(_process, [process.pid for process in started]) if p is not None]
    for candidate in psutil.process_iter(["pid"]):
        try:
            if wanted in Path(f"/proc/{candidate.info['pid']}/environ").read_bytes():
                roots.append(candidate)
        except OSError:
            continue
    ours: dict[int, psutil.Process] = {}
    for root in roots:
        try:
            for member in [root, *root.children(recursive=True)]:
                ours[member.pid] = member
        except psutil.NoSuchProcess:
            continue
    for member in ours.values():
        try:
            member.terminate()
        except psutil.NoSuchProcess:
            continue
    gone, alive = psutil.wait_procs(list(ours.values()), timeout=10)
    for leftover in alive:
        leftover.kill()


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def test_shards_are_placed_on_both_nodes(tmp_path):
    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp_dir = Path("/tmp") / f"aura-mn-{os.getpid()}"
    # Ray 2.60 turns on token authentication for `ray start --head`; this throwaway
    # loopback cluster runs without it so the second node and the driver can join.
    marker = uuid.uuid4().hex
    env = {**os.environ, "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0", "RAY_AUTH_MODE": "disabled", _MARKER: marker}
    env.pop("RAY_ADDRESS", None)
    ray_cli = str(Path(sys.executable).with_name("ray"))
    started: list[subprocess.Popen] = []
    try:
        started.append(
            subprocess.Popen(
                [
                    ray_cli,
                    "start",
                    "--head",
                    f"--port={port}",
                    "--num-cpus=1",
                    "--include-dashboard=false",
                    f"--temp-dir={temp_dir}",
                    "--block",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        time.sleep(3)
        started.append(
            subprocess.Popen(
                [ray_cli, "start", f"--address={address}", "--num-cpus=1", "--block"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        joined = subprocess.run(
            [sys.executable, "-c", NODES_UP, address],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert joined.returncode == 0, joined.stderr[-2000:]
        nodes = json.loads(joined.stdout)

        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "deployments",
                "simulate",
                "--buyers",
                "20",
                "--sellers",
                "4",
                "--negotiations",
                "400",
                "--epochs",
                "2",
                "--shards",
                "2",
                "--no-record",
                "--no-progress",
                "--json",
                "--output-dir",
                str(tmp_path / "out"),
            ],
            env={**env, "RAY_ADDRESS": address},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        summary = json.loads(run.stdout)
        # One CPU per node and one per shard host: the two hosts must be on the two nodes.
        assert sorted(summary["shard_nodes"]) == sorted(nodes)
        assert summary["metrics"]["run"]["negotiations"] == 400
    finally:
        _stop(started, marker)
        shutil.rmtree(temp_dir, ignore_errors=True)
