"""The autonomous buyer agent and the `aura catalog load` command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import typer
from typer.testing import CliRunner

from deployments.cli.negotiation import catalog_load
from negotiation.agent import BuyerAgent, BuyerPlan
from negotiation.identity import AgentKey


async def test_the_agent_finds_the_luxury_hotel_and_closes_within_budget(transport: httpx.ASGITransport) -> None:
    steps: list[str] = []
    agent = BuyerAgent("http://test", AgentKey.generate(), report=steps.append, transport=transport)
    outcome = await agent.run(BuyerPlan(query="luxury stay with spa", budget=900))
    assert outcome.item_id == "hotel_alpha" and outcome.status == "accepted", steps
    assert 800 <= outcome.price <= 900
    assert any(s.startswith("bid ") for s in steps) and any("countered at" in s for s in steps)
    assert steps[-1].startswith("  accepted at")


async def test_an_agent_with_no_reachable_item_stops(transport: httpx.ASGITransport) -> None:
    steps: list[str] = []
    agent = BuyerAgent("http://test", AgentKey.generate(), report=steps.append, transport=transport)
    outcome = await agent.run(BuyerPlan(query="business class flight New York to Tokyo", budget=20))
    assert outcome.status == "no_match" and outcome.deal_id is None


def test_catalog_load_command(tmp_path: Path, settings, database_url: str) -> None:
    app = typer.Typer()
    app.command("load")(catalog_load)
    app.command("noop")(lambda: None)  # a second command keeps typer's subcommand parsing
    source = tmp_path / "extra.csv"
    source.write_text(
        "id,name,description,base_price,floor_price,city\n"
        "cli_loft,CLI Loft,Quiet loft for testing the loader,150,120,Oslo\n"
    )
    result = CliRunner().invoke(app, ["load", str(source)])
    assert result.exit_code == 0, result.output
    assert "loaded 1 of 1 items" in result.output

    async def stored() -> asyncpg.Record:
        connection = await asyncpg.connect(database_url)
        try:
            return await connection.fetchrow(
                "SELECT base_price, meta->>'city' AS city, embedding IS NOT NULL AS "
                "embedded FROM catalog_items WHERE id = 'cli_loft'"
            )
        finally:
            await connection.close()

    row = asyncio.run(stored())
    assert (row["base_price"], row["city"], row["embedded"]) == (150, "Oslo", True)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "x", "name": "x", "base_price": 10, "floor_price": 50}]')
    refused = CliRunner().invoke(app, ["load", str(bad)])
    assert refused.exit_code == 2 and "cannot read" in refused.output
