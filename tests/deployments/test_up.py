"""`aura up` as a user runs it: health, a WebSocket and the Ray tools answer; Ctrl-C leaves nothing; it starts again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import websockets.sync.client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_using(marker: str) -> list[psutil.Process]:
    """Processes whose command line mentions `marker` (a path unique to this run)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in part for part in process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            continue
    return found


def ray_session_processes(before: set[int]) -> list[psutil.Process]:
    """Ray cluster processes (gcs, raylet, workers) that did not exist before the run."""
    names = ("gcs_server", "raylet", "ray::", "dashboard", "default_worker", "log_monitor")
    return [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if p.info["pid"] not in before and any(n in " ".join(p.info["cmdline"] or []) for n in names)
    ]


def assert_websocket_answers(api_port: int, env: dict[str, str]) -> None:
    """A lattice session's WebSocket, through the same port as HTTP, says `connected` and answers a ping."""
    minted = subprocess.run(
        [sys.executable, "-m", "deployments", "token", "--user", "up-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = minted.stdout.strip()
    opened = httpx.post(
        f"http://127.0.0.1:{api_port}/v1/aura/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert opened.status_code == 201, opened.text
    url = f"ws://127.0.0.1:{api_port}/v1/aura/ws?session_id={opened.json()['session_id']}&token={token}"
    with websockets.sync.client.connect(url, open_timeout=30) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "connected"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "pong"


def assert_ray_tools_work_from_a_clean_shell(env: dict[str, str], data_dir: Path) -> None:
    """After a bid, `ray list actors` from a shell with only HOME and PATH sees the seller's host."""
    bid = subprocess.run(
        [sys.executable, "-m", "deployments", "agent", "--budget", "900", "--query", "hotel"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "bid" in bid.stdout.lower(), bid.stdout + bid.stderr
    ray_address = json.loads((data_dir / "up.json").read_text())["ray_address"]
    clean = {"HOME": os.environ["HOME"], "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    # --address because other Ray clusters may run on this machine; no variable is needed.
    listed = subprocess.run(
        ["ray", "list", "actors", "--address", ray_address], env=clean, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "aura:seller:0" in listed.stdout


def assert_a_simulation_joins_and_starts_nothing(env: dict[str, str], data_dir: Path) -> None:
    """`aura simulate` beside a running `aura up` uses its cluster and database: no raylet, no postgres of its own."""
    server = (data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0]
    command = subprocess.Popen(
        [sys.executable, "-m", "deployments", "simulate", "--negotiations", "2000", "--deadline", "20"]
        + ["--no-progress", "--output-dir", str(data_dir / "joined")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started: set[str] = set()
    while command.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            started |= {child.name() for child in psutil.Process(command.pid).children(recursive=True)}
        time.sleep(0.05)
    output = command.stdout.read() if command.stdout else ""
    assert command.returncode == 0, output
    assert "joined the aura up at" in output
    assert not started & {"raylet", "gcs_server", "postgres", "pg_ctl"}, started
    assert (data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0] == server


KILL_SERVE_REPLICA = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
replica = next(a for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("SERVE_REPLICA::"))
ray.kill(ray.get_actor(replica["name"], namespace=replica["namespace"]), no_restart=True)
"""


def answers_until_healthy(api_port: int, within_s: float) -> list[int | str]:
    """`/v1/health`'s statuses (or the connection error's name) until it is 200; fail if that takes over `within_s`."""
    seen: list[int | str] = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"http://127.0.0.1:{api_port}/v1/health", timeout=10)
            seen.append(answer.status_code)
            if answer.status_code == 200:
                return seen
        except httpx.HTTPError as error:
            seen.append(type(error).__name__)
        time.sleep(0.2)
    raise AssertionError(f"not healthy within {within_s:g} s: {seen[-5:]}")


def assert_postgres_and_the_serve_replica_come_back(env: dict[str, str], data_dir: Path, api_port: int) -> None:
    """`kill -9` of the embedded PostgreSQL and of the gateway replica: each is back, nothing answered 500."""
    postmaster = int((data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0])
    os.kill(postmaster, signal.SIGKILL)
    during_database = answers_until_healthy(api_port, within_s=45)
    assert int((data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0]) != postmaster  # started again
    ray_address = json.loads((data_dir / "up.json").read_text())["ray_address"]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_SERVE_REPLICA, ray_address], env=env, capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == 0, killed.stderr
    during_replica = answers_until_healthy(api_port, within_s=120)
    assert 500 not in during_database + during_replica
    assert set(during_database) <= {200, 503}


def wait_healthy(up: subprocess.Popen[str], api_port: int) -> httpx.Response:
    """The first 200 of `/v1/health` while `aura up` runs (within four minutes)."""
    answer = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and up.poll() is None:
        try:
            answer = httpx.get(f"http://127.0.0.1:{api_port}/v1/health", timeout=5)
            if answer.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    assert answer is not None and answer.status_code == 200, up.stdout.read() if up.stdout and up.poll() else ""
    return answer


def wait_for_line(up: subprocess.Popen[str], start: str) -> list[str]:
    """Read `aura up`'s output up to the line starting with `start`; the lines read."""
    assert up.stdout is not None
    lines = []
    for line in up.stdout:
        lines.append(line)
        if line.startswith(start):
            return lines
    raise AssertionError(f"aura up ended before printing {start!r}:\n{''.join(lines)[-3000:]}")


def start_up(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deployments", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_port_another_program_holds_is_one_line_and_exit_2(tmp_path: Path) -> None:
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AURA_", "RAY_ADDRESS"))}
    env |= {"AURA_DATA_DIR": str(tmp_path / "d"), "AURA_SERVE_PORT": str(api_port)}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", api_port))
        holder.listen()
        refused = subprocess.run(
            [sys.executable, "-m", "deployments", "up"], env=env, capture_output=True, text=True, timeout=60
        )
    assert refused.returncode == 2
    assert f"port {api_port} is in use by another program (" in refused.stderr
    assert f"pid {os.getpid()}); set AURA_SERVE_PORT to a free port" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert not (tmp_path / "d" / "pg").exists()  # nothing was started


def up_env(tmp_path: Path) -> tuple[dict[str, str], Path, int]:
    """The environment of an `aura up` of its own (data directory, free ports); with its data directory and API port."""
    data_dir, api_port = tmp_path / "d", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AURA_", "RAY_ADDRESS"))}
    env |= {"AURA_DATA_DIR": str(data_dir), "AURA_SERVE_PORT": str(api_port), "AURA_DASHBOARD_PORT": str(free_port())}
    return env, data_dir, api_port


def test_aura_up_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    env, data_dir, api_port = up_env(tmp_path)
    before = {p.pid for p in psutil.process_iter()}
    up = start_up(env)
    try:
        answer = wait_healthy(up, api_port)
        body = answer.json()
        assert body["status"] == "ok" and body["ray"]["alive_nodes"] >= 1 and body["database"]["ok"]
        printed = "".join(wait_for_line(up, "Aura is up"))  # once the cells answer: a chat does not start them
        assert f"API        http://127.0.0.1:{api_port}" in printed and "Cells      6 of 6 ready" in printed
        assert "Dashboard  http://127.0.0.1:" in printed and "`aura dashboard` prints the token" in printed
        cells = httpx.get(f"http://127.0.0.1:{api_port}/v1/health", timeout=10).json()["cells"]
        assert cells == {"ready": True, "alive": 6, "total": 6}
        openapi = httpx.get(f"http://127.0.0.1:{api_port}/openapi.json", timeout=5).json()
        assert {"/v1/health", "/v1/negotiate", "/v1/aura/chat", "/v1/quantum/metrics"} <= set(openapi["paths"])
        status = subprocess.run(
            [sys.executable, "-m", "deployments", "status"], env=env, capture_output=True, text=True, timeout=60
        )
        assert status.returncode == 0, status.stderr
        assert '"status": "ok"' in status.stdout and str(up.pid) in status.stdout
        assert_websocket_answers(api_port, env)
        assert_ray_tools_work_from_a_clean_shell(env, data_dir)
        assert_a_simulation_joins_and_starts_nothing(env, data_dir)
        assert_postgres_and_the_serve_replica_come_back(env, data_dir, api_port)
    finally:
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=120)
    assert up.returncode == 0, output
    assert "stopped" in output
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (processes_using(str(data_dir)) or ray_session_processes(before)):
        time.sleep(0.5)
    assert processes_using(str(data_dir)) == []
    assert ray_session_processes(before) == []
    stopped = subprocess.run(
        [sys.executable, "-m", "deployments", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert stopped.returncode == 1 and "not running" in stopped.stdout
    again = start_up(env)  # at once, on the same ports and data directory
    try:
        wait_healthy(again, api_port)
    finally:
        again.send_signal(signal.SIGINT)
        output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output


def test_an_aura_up_killed_with_sigkill_is_recovered_by_the_next(tmp_path: Path) -> None:
    env, data_dir, api_port = up_env(tmp_path)
    crashed = start_up(env)
    try:
        wait_healthy(crashed, api_port)
    finally:
        crashed.kill()  # no cleanup at all: its PostgreSQL stays, holding the data directory
        crashed.communicate(timeout=60)
    server = int((data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0])
    # Ray's agents of a killed driver exit on their own a little later; they are not this run's to stop.
    before = {p.pid for p in psutil.process_iter()}
    again = start_up(env)
    try:
        wait_healthy(again, api_port)
        assert int((data_dir / "pg" / "postmaster.pid").read_text().split("\n", 1)[0]) == server  # adopted
    finally:
        again.send_signal(signal.SIGTERM)
        output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (processes_using(str(data_dir)) or ray_session_processes(before)):
        time.sleep(0.5)
    assert processes_using(str(data_dir)) == []
    assert ray_session_processes(before) == []
