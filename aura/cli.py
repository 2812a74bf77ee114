"""The `aura` command line."""

from __future__ import annotations

import json
import os
import signal
import threading

# Before anything imports Ray: workers run this project's interpreter instead of a
# virtualenv that Ray's `uv run` hook would rebuild for them (seconds per start).
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

import httpx  # noqa: E402
import typer  # noqa: E402

from aura.auth import token_cli  # noqa: E402
from aura.settings import get_settings  # noqa: E402
from negotiation.cli import agent, catalog_load  # noqa: E402
from negotiation.simulate.cli import simulate  # noqa: E402

# The CLI is the composition root: it is the one module of `aura/` allowed to reach the
# applications above it, to give every command one entry point.
app = typer.Typer(help="Aura: an actor runtime on Ray for AI agents that work together.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
catalog_app = typer.Typer(help="Catalog commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
catalog_app.command("load")(catalog_load)
app.command()(agent)
app.command()(simulate)
app.command("token")(token_cli)


@app.command()
def config(as_json: bool = typer.Option(False, "--json", help="Print a JSON list of name, variable, value, origin.")) -> None:
    """Print every setting with its variable, its value (secrets masked) and where it came from."""
    from aura.settings import describe

    lines = describe(get_settings())
    if as_json:
        typer.echo(json.dumps([line.model_dump(mode="json") for line in lines], indent=2))
        return
    width = max(len(line.name) for line in lines)
    for line in lines:
        typer.echo(f"{line.name:<{width}}  {json.dumps(line.value, default=str):<30}  {line.origin:<11}  {line.variable}")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending database migrations."""
    from aura.runtime import start_database

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    start_database(settings)
    typer.echo("database is up to date")


@app.command()
def up() -> None:
    """Start Ray, the database and the Serve application; Ctrl-C stops them all."""
    from aura import runtime
    from aura.telemetry import configure_logging

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


@app.command()
def status() -> None:
    """Report whether Aura is running and what its health endpoint says."""
    from aura.runtime import Endpoints

    settings = get_settings()
    endpoints = Endpoints.load(settings.data_dir)
    if endpoints is None:
        typer.echo("Aura is not running (no `aura up` recorded).")
        raise typer.Exit(1)
    try:
        os.kill(endpoints.pid, 0)
    except ProcessLookupError:
        typer.echo(f"Aura is not running (process {endpoints.pid} is gone).")
        raise typer.Exit(1)
    try:
        answer = httpx.get(f"{endpoints.api}/v1/health", timeout=5)
        health = answer.json()
    except httpx.HTTPError as exc:
        typer.echo(f"Aura process {endpoints.pid} is alive but the API does not answer: {exc}")
        raise typer.Exit(1)
    typer.echo(json.dumps({"pid": endpoints.pid, "api": endpoints.api, "dashboard": endpoints.dashboard, "health": health}, indent=2))
    if answer.status_code != 200:
        raise typer.Exit(1)
