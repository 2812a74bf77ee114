"""Catalog loading, `POST /v1/search`, the offline embedder, and re-embedding on an embedder switch."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import numpy as np
import pytest

from negotiation.catalog import Catalog, CatalogItem, read_catalog_file
from negotiation.embedding import HashingEmbedder

QUERIES = Path(__file__).resolve().parents[2] / "negotiation" / "data" / "search_queries.json"


async def _search(transport: httpx.ASGITransport, payload: dict) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
        return await raw.post("/v1/search", json=payload)


async def test_search_finds_the_seed_items_and_never_shows_floors(rayless_transport: httpx.ASGITransport) -> None:
    answer = await _search(rayless_transport, {"query": "luxury stay with spa"})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == 3 and results[0]["id"] == "hotel_alpha"
    assert results[0]["name"] == "Grand Hotel Alpha (Luxury)" and results[0]["price"] == 1000
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert "floor" not in answer.text.lower() and "800" not in answer.text
    hostel = (await _search(rayless_transport, {"query": "backpacker hostel", "limit": 1})).json()["results"]
    assert [h["id"] for h in hostel] == ["hostel_beta"] and hostel[0]["price"] == 50


async def test_limit_min_similarity_and_inactive_items(rayless_transport: httpx.ASGITransport) -> None:
    many = (await _search(rayless_transport, {"query": "room", "limit": 50})).json()["results"]
    assert 3 < len(many) <= 50
    assert "t_inactive" not in {r["id"] for r in many}
    strict = (await _search(rayless_transport, {"query": "room", "limit": 50, "min_similarity": 0.3})).json()["results"]
    assert all(r["score"] >= 0.3 for r in strict) and len(strict) < len(many)
    retired = (await _search(rayless_transport, {"query": "Retired Test Room", "limit": 50})).json()["results"]
    assert "t_inactive" not in {r["id"] for r in retired}


@pytest.mark.parametrize(
    "payload",
    [{"query": ""}, {"query": "x", "limit": 0}, {"query": "x", "limit": 51}, {"query": "x", "min_similarity": 1.5}, {}],
)
async def test_bad_search_input_is_422(rayless_transport: httpx.ASGITransport, payload: dict) -> None:
    answer = await _search(rayless_transport, payload)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


async def test_recall_at_3_on_the_labelled_set(catalog: Catalog) -> None:
    queries = json.loads(QUERIES.read_text())["queries"]
    assert len(queries) >= 20
    hits = 0
    for labelled in queries:
        found = {h.id for h in await catalog.search(labelled["query"], 3)}
        hits += bool(found & set(labelled["relevant"]))
    assert hits / len(queries) >= 0.8


async def test_hashing_embedder_is_deterministic_and_unit_length() -> None:
    embedder = HashingEmbedder(dimension=64)
    first, second = await embedder.embed(["Grand hotel", "grand HOTEL!"]), await embedder.embed(["Grand hotel"])
    assert np.allclose(first[0], second[0]) and np.allclose(first[0], first[1])
    assert np.isclose(np.linalg.norm(first[0]), 1.0)
    assert not np.any(HashingEmbedder(64).vector("!!!"))


class _Constant:
    """A second embedder (a different vector space): every text maps to the same unit vector."""

    name, dimension = "constant-test-8", 8

    async def embed(self, texts: list[str]) -> np.ndarray:
        return np.tile(np.eye(1, 8, dtype=np.float32), (len(texts), 1))


async def test_switching_embedders_re_embeds_at_the_new_dimension(database_url: str, settings) -> None:
    # A database of its own: switching embedders here must not disturb the shared catalog.
    import uuid

    from aura.store import close_pool, migrate, pool

    name = "switch_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = urlsplit(database_url)._replace(path=f"/{name}").geturl()
    await migrate(url)
    db = await pool(url)
    try:
        items = [
            CatalogItem(id="a", name="alpha", base_price=10, floor_price=5),
            CatalogItem(id="b", name="beta", base_price=10, floor_price=5),
        ]
        assert await Catalog(db, HashingEmbedder(32)).load(items) == 2
        assert await db.fetchval("SELECT vector_dims(embedding) FROM catalog_items WHERE id = 'a'") == 32
        switched = Catalog(db, _Constant())
        assert await switched.ensure_embedder() is True
        assert await db.fetchval("SELECT vector_dims(embedding) FROM catalog_items WHERE id = 'a'") == 8
        assert await db.fetchval("SELECT name FROM catalog_embedder") == "constant-test-8"
        assert {h.score for h in await switched.search("anything", 5)} == {1.0}
        assert await Catalog(db, _Constant()).ensure_embedder() is False  # already this embedder's vectors
    finally:
        await close_pool(url)


def test_catalog_files_in_json_and_csv(tmp_path: Path) -> None:
    csv_file = tmp_path / "items.csv"
    csv_file.write_text("id,name,base_price,floor_price,city,active\nx1,Loft,120,90,Rome,true\n")
    [item] = read_catalog_file(csv_file)
    assert (item.id, item.base_price, item.meta, item.active) == ("x1", 120, {"city": "Rome"}, True)
    demo = read_catalog_file(Path(__file__).resolve().parents[2] / "negotiation" / "data" / "demo_catalog.json")
    assert len(demo) >= 50 and {"hotel", "hostel", "flight", "rental"} <= {i.meta["kind"] for i in demo}
    alpha = next(i for i in demo if i.id == "hotel_alpha")
    assert (alpha.name, alpha.base_price, alpha.floor_price) == ("Grand Hotel Alpha (Luxury)", 1000, 800)
    with pytest.raises(ValueError):
        CatalogItem(id="bad", name="x", base_price=10, floor_price=20)
    with pytest.raises(ValueError):
        CatalogItem(id="bad", name="x", base_price=10, floor_price=5, meta={"floor_hint": 5})
