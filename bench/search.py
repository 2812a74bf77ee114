"""Catalog search quality and latency: recall@3 over the labelled query set, and search latency.

    uv run python -m bench.search [--repeat 20]

Starts an embedded PostgreSQL in a temporary directory, loads the demo
catalog with the embedder the settings select (offline hashing embedder
unless MISTRAL_API_KEY is set), runs every labelled query in
negotiation/data/search_queries.json, and stops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from pgvector.asyncpg import register_vector

from aura.settings import get_settings
from aura.store import embedded, migrate
from negotiation import DEMO_CATALOG, Catalog, embedder_from_settings, read_catalog_file

ROOT = Path(__file__).resolve().parent.parent

QUERIES = ROOT / "negotiation" / "data" / "search_queries.json"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(url: str, repeat: int) -> dict:
    """Load the demo catalog, then recall@1/@3 and per-query latency of `Catalog.search`."""
    await migrate(url)
    db = await asyncpg.create_pool(url, min_size=1, max_size=4, init=register_vector)
    try:
        catalog = Catalog(db, embedder_from_settings(get_settings().negotiation))
        await catalog.load(read_catalog_file(DEMO_CATALOG))
        queries = json.loads(QUERIES.read_text())["queries"]
        at1 = at3 = 0
        misses = []
        for labelled in queries:
            found = [h.id for h in await catalog.search(labelled["query"], 3)]
            relevant = set(labelled["relevant"])
            at1 += found[0] in relevant
            at3 += bool(relevant & set(found))
            if not relevant & set(found):
                misses.append({"query": labelled["query"], "found": found})
        latencies = []
        for _ in range(repeat):
            for labelled in queries:
                started = time.perf_counter()
                await catalog.search(labelled["query"], 3)
                latencies.append((time.perf_counter() - started) * 1000)
        return {
            "embedder": catalog.embedder.name,
            "items": await db.fetchval("SELECT count(*) FROM catalog_items"),
            "queries": len(queries),
            "recall_at_1": at1 / len(queries),
            "recall_at_3": at3 / len(queries),
            "p50_ms": round(statistics.median(latencies), 3),
            "p99_ms": round(_percentile(latencies, 0.99), 3),
            "searches": len(latencies),
            "misses_at_3": misses,
        }
    finally:
        await db.close()


def main() -> None:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="Timed passes over the query set.")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="aura-bench-search-"))
    try:
        url = embedded.start(workdir / "pg")
        try:
            print(json.dumps(asyncio.run(measure(url, args.repeat)), indent=2))
        finally:
            embedded.stop(workdir / "pg")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
