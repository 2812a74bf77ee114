"""`aura up` as a user runs it: health and a WebSocket answer on the API port, and Ctrl-C leaves no process behind."""

from __future__ import annotations

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


def test_aura_up_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    api_port, dashboard_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AURA_", "RAY_ADDRESS"))}
    env |= {
        "AURA_DATA_DIR": str(data_dir),
        "AURA_SERVE_PORT": str(api_port),
        "AURA_DASHBOARD_PORT": str(dashboard_port),
    }
    before = {p.pid for p in psutil.process_iter()}
    up = subprocess.Popen(
        [sys.executable, "-m", "deployments", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
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
        assert answer is not None and answer.status_code == 200, up.stdout.read() if up.poll() is not None else ""
        body = answer.json()
        assert body["status"] == "ok" and body["ray"]["alive_nodes"] >= 1 and body["database"]["ok"]
        openapi = httpx.get(f"http://127.0.0.1:{api_port}/openapi.json", timeout=5).json()
        assert {"/v1/health", "/v1/negotiate", "/v1/aura/chat", "/v1/quantum/metrics"} <= set(openapi["paths"])
        status = subprocess.run(
            [sys.executable, "-m", "deployments", "status"], env=env, capture_output=True, text=True, timeout=60
        )
        assert status.returncode == 0, status.stderr
        assert '"status": "ok"' in status.stdout and str(up.pid) in status.stdout
        assert_websocket_answers(api_port, env)
    finally:
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=120)
    assert up.returncode == 0, output
    assert "Dashboard" in output and f"127.0.0.1:{api_port}" in output
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (processes_using(str(data_dir)) or ray_session_processes(before)):
        time.sleep(0.5)
    assert processes_using(str(data_dir)) == []
    assert ray_session_processes(before) == []
    stopped = subprocess.run(
        [sys.executable, "-m", "deployments", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert stopped.returncode == 1 and "not running" in stopped.stdout
