"""`aura catalog load` and `aura agent`: the negotiation service's catalog, and a buyer against the running API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer


def catalog_load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Catalog as JSON or CSV."),
    keep_existing: bool = typer.Option(False, "--keep-existing", help="Leave items already loaded unchanged."),
) -> None:
    """Load catalog items (with embeddings) into the database; items with the same id are replaced."""
    import asyncpg
    from pgvector.asyncpg import register_vector

    from aura.settings import get_settings
    from deployments.runtime import migrated_database
    from negotiation import Catalog, embedder_from_settings, read_catalog_file

    try:
        items = read_catalog_file(file)
    except (ValueError, OSError) as exc:
        typer.echo(f"cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def load(url: str) -> int:
        # A pool of its own, closed when done, so the command never touches a process-wide pool.
        db = await asyncpg.create_pool(url, min_size=1, max_size=2, init=register_vector)
        try:
            catalog = Catalog(db, embedder_from_settings(settings.negotiation))
            return await catalog.load(items, replace=not keep_existing)
        finally:
            await db.close()

    with migrated_database(settings) as url:
        written = asyncio.run(load(url))
    typer.echo(f"loaded {written} of {len(items)} items from {file}")


def agent(
    budget: float = typer.Option(..., "--budget", min=0.01, help="The most the agent will pay."),
    query: str = typer.Option(..., "--query", help="What to look for in the catalog."),
    api: str | None = typer.Option(None, "--api", help="API base URL (default: the running `aura up`)."),
    key: str | None = typer.Option(
        None, "--key", envvar="AURA_AGENT_KEY", help="Ed25519 seed, hex (default: a new key)."
    ),
    opening: float = typer.Option(0.6, "--opening", min=0.05, max=1.0, help="First bid as a share of the budget."),
) -> None:
    """An autonomous buyer: search, bid, answer counters within the budget, and print each step."""
    import httpx

    from aura.settings import get_settings
    from deployments.endpoints import Endpoints
    from negotiation import AgentKey, BuyerAgent, BuyerPlan

    settings = get_settings()
    if api is None:
        endpoints = Endpoints.load(settings.data_dir)
        api = endpoints.api if endpoints else f"http://{settings.serve_host}:{settings.serve_port}"
    plan = BuyerPlan(query=query, budget=budget, opening_share=opening)
    buyer = BuyerAgent(api, AgentKey.from_seed(key) if key else AgentKey.generate(), report=typer.echo)
    try:
        outcome = asyncio.run(buyer.run(plan))
    except httpx.TransportError as exc:
        typer.echo(f"cannot reach the API at {api} ({exc}); is `aura up` running?", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(0 if outcome.deal_id else 1)
