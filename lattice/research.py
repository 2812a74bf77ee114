"""Retrieval over the docstrings of installed modules, indexed in pgvector as hashed term vectors.

The embedding is a feature-hashed, sublinear TF vector of the words in a
qualified name and its docstring summary (256 dimensions, L2-normalised), so
cosine distance in pgvector ranks by shared vocabulary. It needs no model
download, which is why the offline research cell can run anywhere; it finds
documents that use the query's words, not ones that merely mean the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass

import asyncpg
import numpy as np

from aura import feature_vector

DIMENSIONS = 256
# A fixed, small corpus keeps the build around a second: stdlib modules people ask about, plus this stack.
MODULES = (
    "asyncio",
    "json",
    "re",
    "pathlib",
    "collections",
    "itertools",
    "functools",
    "dataclasses",
    "typing",
    "subprocess",
    "logging",
    "datetime",
    "unittest",
    "sqlite3",
    "csv",
    "http.client",
    "urllib.parse",
    "concurrent.futures",
    "threading",
    "contextlib",
    "os",
    "shutil",
    "tempfile",
    "hashlib",
    "secrets",
    "statistics",
    "random",
    "string",
    "textwrap",
    "heapq",
    "bisect",
    "enum",
    "inspect",
    "argparse",
    "socket",
    "pydantic",
    "asyncpg",
    "numpy",
)
CORPUS = "docstrings-v2:" + hashlib.sha256((",".join(MODULES) + sys.version).encode()).hexdigest()[:16]
_LOCK_KEY = 0x4C415454  # "LATT": one builder at a time across processes
_STOP = set(
    "the a an of to in is are be for and or on with as by it this that from at if not no its can "
    "which will when return returns value object default none true false use used".split()
)


@dataclass(frozen=True)
class Hit:
    """One retrieved document: the qualified name, its summary and the cosine similarity."""

    qualname: str
    summary: str
    similarity: float


def tokens(text: str) -> list[str]:
    """Lower-case words, with identifiers split at underscores and camel case."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").replace(".", " ")
    return [w for w in re.findall(r"[a-z][a-z0-9]+", spaced.lower()) if w not in _STOP]


def embed(text: str) -> np.ndarray:
    """The hashed, sublinear-TF, unit-length term vector of `text` (zeros if it has no words)."""
    counts = Counter(tokens(text))
    return feature_vector(((word, 1.0 + math.log(count)) for word, count in counts.items()), DIMENSIONS)


def _summary(doc: str) -> str:
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.split())[:400]


def collect(modules: tuple[str, ...] = MODULES) -> list[tuple[str, str]]:
    """(qualified name, docstring summary) for each module, its public members and their public methods."""
    found: dict[str, str] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # not installed here: the corpus is whatever of the list exists
        if module.__doc__:
            found[name] = _summary(module.__doc__)
        for attr, member in inspect.getmembers(module):
            if attr.startswith("_") or not (inspect.isclass(member) or inspect.isroutine(member)):
                continue
            doc = inspect.getdoc(member)
            if doc:
                found.setdefault(f"{name}.{attr}", _summary(doc))
            if inspect.isclass(member) and getattr(member, "__module__", "").split(".")[0] == name.split(".")[0]:
                for method, function in vars(member).items():
                    if method.startswith("_") or not callable(function):
                        continue
                    method_doc = inspect.getdoc(function)
                    if method_doc:
                        found.setdefault(f"{name}.{attr}.{method}", _summary(method_doc))
    return sorted(found.items())


async def ensure_index(db: asyncpg.Pool) -> int:
    """Build the index once per corpus (under an advisory lock); return how many documents it holds."""
    count = await db.fetchval("SELECT documents FROM lattice_doc_index WHERE corpus = $1", CORPUS)
    if count is not None:
        return count
    # The lock is transaction-scoped: pooled connections carry no session state (aura.store.database).
    async with db.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        count = await connection.fetchval("SELECT documents FROM lattice_doc_index WHERE corpus = $1", CORPUS)
        if count is not None:
            return count
        documents = await asyncio.to_thread(collect)
        rows = [(q, s, embed(f"{q} {q} {s}")) for q, s in documents]
        await connection.execute("DELETE FROM lattice_docs")
        await connection.execute("DELETE FROM lattice_doc_index")
        await connection.copy_records_to_table(
            "lattice_docs", records=rows, columns=["qualname", "summary", "embedding"]
        )
        await connection.execute("INSERT INTO lattice_doc_index (corpus, documents) VALUES ($1, $2)", CORPUS, len(rows))
        return len(rows)


async def search(db: asyncpg.Pool, query: str, limit: int = 5) -> list[Hit]:
    """The `limit` documents nearest to `query` by cosine distance (none if the query has no indexable words)."""
    vector = embed(query)
    if not vector.any():
        return []
    rows = await db.fetch(
        "SELECT qualname, summary, 1 - (embedding <=> $1) AS similarity FROM lattice_docs "
        "ORDER BY embedding <=> $1 LIMIT $2",
        vector,
        limit,
    )
    return [Hit(r["qualname"], r["summary"], float(r["similarity"])) for r in rows]
