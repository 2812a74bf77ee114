"""`aura up` and `aura status`: the local runtime, started in the foreground and asked how it is."""

from __future__ import annotations

import json
import os
import signal
import threading

import httpx
import typer

from aura.settings import get_settings


def up() -> None:
    """Start Ray, the database and the Serve application; Ctrl-C stops them all."""
    from aura import configure_logging
    from deployments import runtime

    settings = get_settings()
    configure_logging(settings.log_level)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        endpoints = runtime.up(settings)
        typer.echo(f"API        {endpoints.api}")
        typer.echo(f"OpenAPI    {endpoints.docs}")
        typer.echo(f"Dashboard  {endpoints.dashboard or 'not started (joined an existing cluster)'}")
        typer.echo("Aura is up. Press Ctrl-C to stop.", err=False)
        stop.wait()
        typer.echo("stopping Aura...")
    finally:
        runtime.down(settings)
    typer.echo("stopped")


def status() -> None:
    """Report whether Aura is running and what its health endpoint says."""
    from deployments.runtime import Endpoints

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
