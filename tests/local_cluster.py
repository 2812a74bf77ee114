"""A Ray cluster of several nodes on this machine, separate from the session's, for the tests that need nodes.

Each node is a `ray start --block` process whose processes all carry a marker
in their environment, so one node can be stopped (as a lost node is) and the
whole cluster torn down by pid, never with `ray stop`, which would stop every
Ray on the machine, the session's included.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

NODES_UP = """
import json, sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
deadline = time.time() + 120
while time.time() < deadline:
    alive = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
    if len(alive) == int(sys.argv[2]):
        print(json.dumps(alive))
        sys.exit(0)
    time.sleep(0.5)
sys.exit("the nodes never joined")
"""

#: Set to a fresh value per node in the environment of this test's cluster, so stopping finds all of its processes.
_MARKER = "AURA_TEST_CLUSTER"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """A head node and the worker nodes added to it, each with `--num-cpus` of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp_dir = Path("/tmp") / f"aura-mn-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        # Ray 2.60 turns on token authentication for `ray start --head`; this throwaway
        # loopback cluster runs without it so the other nodes and the drivers can join.
        self.env = {**os.environ, "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0", "RAY_AUTH_MODE": "disabled"}
        self.env.pop("RAY_ADDRESS", None)
        self.nodes: list[tuple[subprocess.Popen, str]] = []
        self._ray = str(Path(sys.executable).with_name("ray"))

    def start(self, num_cpus: int = 1) -> LocalCluster:
        """Start the head node."""
        head = [f"--port={self.port}", "--head", "--include-dashboard=false", f"--temp-dir={self.temp_dir}"]
        self._node(head, num_cpus)
        deadline = time.monotonic() + 60
        while True:  # other nodes join once the head's GCS takes connections
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def add_node(self, num_cpus: int = 1) -> int:
        """Start a worker node joined to the head; its index, for `stop_node`."""
        self._node([f"--address={self.address}"], num_cpus)
        return len(self.nodes) - 1

    def _node(self, options: list[str], num_cpus: int) -> None:
        marker = uuid.uuid4().hex
        started = subprocess.Popen(
            [self._ray, "start", *options, f"--num-cpus={num_cpus}", "--block"],
            env={**self.env, _MARKER: marker},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.nodes.append((started, marker))

    def wait_nodes(self, count: int) -> list[str]:
        """The ids of the alive nodes once there are `count` of them."""
        joined = subprocess.run(
            [sys.executable, "-c", NODES_UP, self.address, str(count)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert joined.returncode == 0, joined.stderr[-2000:]
        return list(json.loads(joined.stdout))

    def stop_node(self, index: int) -> None:
        """Stop every process of node `index` at once, as when its machine is lost."""
        started, marker = self.nodes[index]
        _stop(started, marker, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every node, the head last."""
        for started, marker in reversed(self.nodes):
            _stop(started, marker, signal.SIGTERM)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _stop(started: subprocess.Popen, marker: str, signum: signal.Signals) -> None:
    """Stop a `ray start --block` process and every process of its node, by pid (what `signum` leaves is killed).

    The node's processes are found by `marker`, an environment variable they all
    inherit, and as descendants of those, collected before anything is
    signalled. Ray renames some of them (`ray::DashboardAgent`) and the new
    title can overwrite their environment block, so neither the command line
    nor the environment alone finds them all; the raylet's children do.
    """
    wanted = f"{_MARKER}={marker}".encode()
    roots = [p for p in map(_process, [started.pid]) if p is not None]
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
            member.send_signal(signum)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(list(ours.values()), timeout=10)
    for leftover in alive:
        leftover.kill()


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
