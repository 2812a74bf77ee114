"""`aura config`, `aura token` and `aura db migrate`: what this machine is set up with."""

from __future__ import annotations

import json

import typer

from aura.settings import describe, get_settings, reference


def config(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of name, variable, value, origin."),
    as_reference: bool = typer.Option(
        False, "--reference", help="Print the reference of every setting (Markdown), not this machine's values."
    ),
) -> None:
    """Print every setting with its variable, its value (secrets masked) and where it came from."""
    if as_reference:
        typer.echo(reference(), nl=False)
        return
    lines = describe(get_settings())
    if as_json:
        typer.echo(json.dumps([line.model_dump(mode="json") for line in lines], indent=2))
        return
    width = max(len(line.name) for line in lines)
    for line in lines:
        shown = json.dumps(line.value, default=str)
        typer.echo(f"{line.name:<{width}}  {shown:<30}  {line.origin:<11}  {line.variable}")


def token(
    user: str = typer.Option(..., "--user", help="The user id the token speaks for (its `sub`)."),
    ttl: int = typer.Option(0, "--ttl", help="Lifetime in seconds (default: AURA_TOKEN_TTL_S, 24 h)."),
) -> None:
    """Mint a development bearer token for USER, signed with this machine's HS256 secret."""
    from aura import mint_token

    try:
        typer.echo(mint_token(user, ttl_s=ttl or None))
    except ValueError as exc:
        typer.echo(f"cannot mint a token: {exc}", err=True)
        raise typer.Exit(2) from None


def migrate() -> None:
    """Apply pending database migrations."""
    from deployments.runtime import migrated_database

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with migrated_database(settings):
        typer.echo("database is up to date")
