"""The `aura` command line: every command of the product behind one entry point.

Each command loads what it needs when it runs (Ray, the database, Qiskit),
so `aura --help` and the light commands start in a fraction of a second.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import typer

from deployments.cli import dashboard, negotiation, settings, simulate, up

app = typer.Typer(help="Aura: an actor runtime on Ray for AI agents that work together.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
catalog_app = typer.Typer(help="Catalog commands.", no_args_is_help=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)


@app.callback()
def main() -> None:
    """Aura: an actor runtime on Ray for AI agents that work together."""
    # SIGTERM (from `kill`, a supervisor, `ray job stop`) kills Python without unwinding; as an exit it
    # runs each command's cleanup, so the database and the Ray it started stop with it.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")

app.command()(up.up)
app.command()(up.status)
app.command()(dashboard.dashboard)
app.command()(settings.config)
app.command()(settings.token)
db_app.command("migrate")(settings.migrate)
catalog_app.command("load")(negotiation.catalog_load)
app.command()(negotiation.agent)
app.command()(simulate.simulate)

__all__ = ["app"]
