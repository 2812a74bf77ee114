"""`aura dashboard`: where the Ray dashboard answers, and the token that signs in to it.

Ray's token authentication stays on for the cluster `aura up` starts; the
dashboard asks for that token once per browser (and keeps it in a cookie).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from aura.settings import get_settings


def ray_token() -> str | None:
    """The Ray token this user's tools use, looked up where Ray looks for it; None if there is none."""
    given = os.environ.get("RAY_AUTH_TOKEN", "").strip()
    if given:
        return given
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def dashboard() -> None:
    """Print the Ray dashboard's address and the token to paste when it asks for one."""
    from deployments.endpoints import Endpoints

    settings = get_settings()
    endpoints = Endpoints.load(settings.data_dir)
    url = endpoints.dashboard if endpoints and endpoints.dashboard else f"http://127.0.0.1:{settings.dashboard_port}"
    token = ray_token()
    typer.echo(f"Dashboard  {url}")
    if token is None:
        typer.echo("No Ray token on this machine yet: `aura up` makes one, or `ray get-auth-token --generate`.")
        raise typer.Exit(1)
    typer.echo(f"Token      {token}")
