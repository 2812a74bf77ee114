"""The catalog: items in PostgreSQL with their embeddings, loading, terms lookup and semantic search.

An item's `floor_price` is read only into `ItemTerms` for the seller; nothing
here returns it to a caller of the API (`SearchHit` has no field for it).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg
import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from negotiation.currency import is_currency
from negotiation.embedding import Embedder

DEMO_CATALOG = Path(__file__).with_name("data") / "demo_catalog.json"
# Distinct from the migrations' lock key, so loading and migrating do not wait on each other.
_EMBEDDER_LOCK = 0x41555243

StrategyName = Literal["rule", "concession", "llm"]
ConcessionStyle = Literal["boulware", "linear", "conceder"]


class CatalogItem(BaseModel):
    """One item as loaded from a catalog file, floor price included."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    base_price: float = Field(gt=0, allow_inf_nan=False)
    floor_price: float = Field(gt=0, allow_inf_nan=False)
    currency: str = "USD"
    meta: dict[str, Any] = Field(default_factory=dict)
    strategy: StrategyName = "concession"
    concession: ConcessionStyle = "boulware"
    confirm_threshold: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    active: bool = True

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.upper()
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @field_validator("meta")
    @classmethod
    def _no_floor_in_meta(cls, value: dict[str, Any]) -> dict[str, Any]:
        # meta is shown to buyers as search details, so it must not smuggle the floor out.
        if any("floor" in str(key).lower() or "reserve" in str(key).lower() for key in value):
            raise ValueError("meta must not carry floor or reserve prices (meta is public)")
        return value

    @model_validator(mode="after")
    def _floor_below_base(self) -> CatalogItem:
        if self.floor_price > self.base_price:
            raise ValueError("floor_price must not exceed base_price")
        return self

    def search_text(self) -> str:
        """The text the embedder sees: name, description and the public meta values."""
        values = []
        for value in self.meta.values():
            values += [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return ". ".join(part for part in (self.name, self.description, " ".join(values)) if part)


class SearchHit(BaseModel):
    """One search result as buyers see it: the list price, never the floor."""

    id: str
    name: str
    price: float
    score: float
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ItemTerms:
    """What a seller needs to negotiate one item; internal only (it holds the floor price)."""

    item_id: str
    name: str
    description: str
    base_price: float
    floor_price: float
    currency: str
    strategy: str
    concession: str
    confirm_threshold: float


def read_catalog_file(path: Path) -> list[CatalogItem]:
    """Items from a JSON file (a list, or `{"items": [...]}`) or a CSV file with a header row.

    CSV columns other than the item fields become `meta` entries; a `meta`
    column, if present, holds a JSON object.
    """
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        fields = set(CatalogItem.model_fields)
        items = []
        for row in rows:
            values: dict[str, Any] = {k: v for k, v in row.items() if k in fields and v not in (None, "")}
            meta = json.loads(values.pop("meta")) if "meta" in values else {}
            meta.update({k: v for k, v in row.items() if k not in fields and v not in (None, "")})
            if "active" in values:
                values["active"] = str(values["active"]).strip().lower() in ("1", "true", "yes")
            items.append(CatalogItem(**values, meta=meta))
        return items
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("items", [])
    return [CatalogItem.model_validate(item) for item in data]


class Catalog:
    """Catalog items in one database, searched with one embedder."""

    def __init__(
        self, db: asyncpg.Pool, embedder: Embedder, *, default_confirm_threshold: float = 2000.0, cache_s: float = 5.0
    ) -> None:
        self._db = db
        self.embedder = embedder
        self._default_confirm = default_confirm_threshold
        self._cache_s = cache_s
        self._cache: dict[str, tuple[float, ItemTerms | None]] = {}
        self._ready = False

    async def ensure_embedder(self) -> bool:
        """Make the stored vectors this embedder's; return True if the catalog was (re-)embedded.

        The embedder's name and dimension are recorded; a different one drops
        the index, retypes the column to the new dimension, re-embeds every
        item and rebuilds the HNSW index, all in one transaction, so vectors
        of two embedders are never mixed or compared.
        """
        if self._ready:
            return False
        async with self._db.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _EMBEDDER_LOCK)
            row = await connection.fetchrow("SELECT name, dimension FROM catalog_embedder")
            if row is not None and row["name"] == self.embedder.name and row["dimension"] == self.embedder.dimension:
                self._ready = True
                return False
            dimension = int(self.embedder.dimension)
            await connection.execute("DROP INDEX IF EXISTS catalog_items_embedding_hnsw")
            await connection.execute(
                f"ALTER TABLE catalog_items ALTER COLUMN embedding TYPE vector({dimension}) USING NULL"
            )
            rows = await connection.fetch("SELECT id, name, description, meta FROM catalog_items ORDER BY id")
            if rows:
                texts = [
                    CatalogItem.model_construct(
                        name=r["name"], description=r["description"], meta=json.loads(r["meta"])
                    ).search_text()
                    for r in rows
                ]
                vectors = await self.embedder.embed(texts)
                await connection.executemany(
                    "UPDATE catalog_items SET embedding = $2 WHERE id = $1",
                    [(r["id"], vectors[i]) for i, r in enumerate(rows)],
                )
            await connection.execute(
                "CREATE INDEX catalog_items_embedding_hnsw ON catalog_items USING hnsw (embedding vector_cosine_ops)"
            )
            await connection.execute(
                """INSERT INTO catalog_embedder (singleton, name, dimension, updated_at) VALUES (true, $1, $2, now())
                   ON CONFLICT (singleton) DO UPDATE SET name = EXCLUDED.name, dimension = EXCLUDED.dimension,
                   updated_at = EXCLUDED.updated_at""",
                self.embedder.name,
                dimension,
            )
        self._ready = True
        return True

    async def load(self, items: list[CatalogItem], *, replace: bool = True) -> int:
        """Insert `items` (replacing those with the same id unless `replace` is False); return how many were written."""
        if not items:
            return 0
        await self.ensure_embedder()
        vectors = await self.embedder.embed([item.search_text() for item in items])
        conflict = (
            """DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
               base_price = EXCLUDED.base_price, floor_price = EXCLUDED.floor_price, currency = EXCLUDED.currency,
               meta = EXCLUDED.meta, strategy = EXCLUDED.strategy, concession = EXCLUDED.concession,
               confirm_threshold = EXCLUDED.confirm_threshold, embedding = EXCLUDED.embedding,
               active = EXCLUDED.active, updated_at = now()"""
            if replace
            else "DO NOTHING"
        )
        written = 0
        async with self._db.acquire() as connection, connection.transaction():
            for item, vector in zip(items, vectors, strict=True):
                status = await connection.execute(
                    f"""INSERT INTO catalog_items (id, name, description, base_price, floor_price, currency, meta,
                           strategy, concession, confirm_threshold, embedding, active)
                        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12)
                        ON CONFLICT (id) {conflict}""",
                    item.id,
                    item.name,
                    item.description,
                    item.base_price,
                    item.floor_price,
                    item.currency,
                    json.dumps(item.meta),
                    item.strategy,
                    item.concession,
                    item.confirm_threshold,
                    vector,
                    item.active,
                )
                written += int(status.rsplit(" ", 1)[-1])
        self._cache.clear()
        return written

    async def search(self, query: str, limit: int = 3, min_similarity: float = 0.0) -> list[SearchHit]:
        """The active items closest to `query` by cosine similarity, best first, at least `min_similarity`."""
        await self.ensure_embedder()
        vector = (await self.embedder.embed([query]))[0]
        if not np.any(vector):
            return []
        rows = await self._db.fetch(
            """SELECT id, name, description, base_price, currency, meta, 1 - (embedding <=> $1) AS score
               FROM catalog_items WHERE active AND embedding IS NOT NULL
               ORDER BY embedding <=> $1 LIMIT $2""",
            vector,
            limit,
        )
        hits = []
        for row in rows:
            score = float(row["score"])
            if score < min_similarity:
                break
            details = {"description": row["description"], "currency": row["currency"], **json.loads(row["meta"])}
            hits.append(
                SearchHit(
                    id=row["id"], name=row["name"], price=row["base_price"], score=round(score, 6), details=details
                )
            )
        return hits

    async def terms(self, item_id: str) -> ItemTerms | None:
        """The negotiation terms of an active item, or None; reused for `cache_s` seconds."""
        now = time.monotonic()
        cached = self._cache.get(item_id)
        if cached is not None and now - cached[0] < self._cache_s:
            return cached[1]
        row = await self._db.fetchrow(
            """SELECT id, name, description, base_price, floor_price, currency, strategy, concession,
                      confirm_threshold FROM catalog_items WHERE id = $1 AND active""",
            item_id,
        )
        terms = (
            None
            if row is None
            else ItemTerms(
                item_id=row["id"],
                name=row["name"],
                description=row["description"],
                base_price=row["base_price"],
                floor_price=row["floor_price"],
                currency=row["currency"],
                strategy=row["strategy"],
                concession=row["concession"],
                confirm_threshold=row["confirm_threshold"]
                if row["confirm_threshold"] is not None
                else self._default_confirm,
            )
        )
        self._cache[item_id] = (now, terms)
        return terms


async def seed_demo_catalog(db: asyncpg.Pool) -> int:
    """Load the demo catalog's items that are not in the database yet; return how many were added.

    Idempotent: items already present (demo or edited by an operator) are left as they are.
    """
    from aura.settings import get_settings
    from negotiation.embedding import embedder_from_settings

    catalog = Catalog(db, embedder_from_settings(get_settings().negotiation))
    return await catalog.load(read_catalog_file(DEMO_CATALOG), replace=False)
