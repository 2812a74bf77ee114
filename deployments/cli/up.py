"""`aura up` and `aura status`: the local runtime, started in the foreground and asked how it is."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import threading
import time

import httpx
import psutil
import typer

from aura.settings import Settings, get_settings


def up() -> None:
    """Start Ray, the database and the Serve application; Ctrl-C stops them all."""
    from aura import configure_logging
    from deployments import runtime

    settings = get_settings()
    configure_logging(settings.log_level)
    taken = taken_port(settings.serve_host, _ports(settings))
    if taken is not None:
        port, variable = taken
        typer.echo(f"port {port} is in use by another program{_holder(port)}; set {variable} to a free port", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    # A Ctrl-C or SIGTERM while starting stops Aura once it has started.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        endpoints = runtime.up(settings)
        typer.echo(f"API        {endpoints.api}")
        typer.echo(f"OpenAPI    {endpoints.docs}")
        typer.echo(f"Dashboard  {endpoints.dashboard or 'not started (joined an existing cluster)'}")
        if endpoints.dashboard:
            typer.echo("           `aura dashboard` prints the token it asks for")
            typer.echo(f"Ray tools  ray status, ray list actors; RAY_ADDRESS={endpoints.dashboard} ray job submit ...")
        alive, total = runtime.wait_for_cells(endpoints)
        typer.echo(
            f"Cells      {alive} of {total} ready" + ("" if alive == total else " (the rest start on first use)")
        )
        typer.echo("Aura is up. Press Ctrl-C to stop.", err=False)
        _supervise_database(settings, stop)
        typer.echo("stopping Aura...")
    finally:
        runtime.down(settings)
    typer.echo("stopped")


def _supervise_database(settings: Settings, stop: threading.Event) -> None:
    """Until `stop`, start the embedded PostgreSQL again whenever it died (a crash, an OOM kill, `kill -9`)."""
    from aura.store import revive_database

    while not stop.wait(settings.supervision.database_check_s):
        try:
            if revive_database(settings):
                typer.echo("PostgreSQL had stopped; it is running again")
        except Exception as exc:  # a start that failed (the disk full, say) is tried again next round
            typer.echo(f"PostgreSQL is down and did not start again: {exc}", err=True)


def _ports(settings: Settings) -> dict[int, str]:
    """The ports `aura up` will listen on, and the variable that moves each."""
    ports = {settings.serve_port: "AURA_SERVE_PORT"}
    if settings.ray_address is None:
        ports[settings.dashboard_port] = "AURA_DASHBOARD_PORT"
    return ports


def taken_port(host: str, ports: dict[int, str], grace_s: float = 5.0) -> tuple[int, str] | None:
    """The first of `ports` another program holds on `host`, with its variable; None when all are free.

    Checked before anything starts, so a taken port is one clear line rather than a
    Serve replica failing deep inside Ray with everything else already running. A
    port is given `grace_s` to come free, since an `aura up` stopped a moment ago may
    still be closing its sockets.
    """
    deadline = time.monotonic() + grace_s
    for port, variable in ports.items():
        while _held(host, port):
            if time.monotonic() >= deadline:
                return port, variable
            time.sleep(0.25)
    return None


def _held(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _holder(port: int) -> str:
    """Who listens on `port`, as ` (name, pid N)`, when this user may see it; empty otherwise."""
    try:
        listening = [
            c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        ]
        process = psutil.Process(listening[0].pid) if listening and listening[0].pid else None
        return f" ({process.name()}, pid {process.pid})" if process else ""
    except psutil.Error:
        return ""


def status() -> None:
    """Report whether Aura is running and what its health endpoint says."""
    from deployments.endpoints import Endpoints

    settings = get_settings()
    endpoints = Endpoints.load(settings.data_dir)
    if endpoints is None:
        typer.echo("Aura is not running (no `aura up` recorded).")
        raise typer.Exit(1)
    try:
        os.kill(endpoints.pid, 0)
    except ProcessLookupError:
        typer.echo(f"Aura is not running (process {endpoints.pid} is gone).")
        raise typer.Exit(1) from None
    try:
        answer = httpx.get(f"{endpoints.api}/v1/health", timeout=5)
        health = answer.json()
    except httpx.HTTPError as exc:
        typer.echo(f"Aura process {endpoints.pid} is alive but the API does not answer: {exc}")
        raise typer.Exit(1) from None
    typer.echo(
        json.dumps(
            {"pid": endpoints.pid, "api": endpoints.api, "dashboard": endpoints.dashboard, "health": health}, indent=2
        )
    )
    if answer.status_code != 200:
        raise typer.Exit(1)
