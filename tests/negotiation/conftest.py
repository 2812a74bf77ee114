"""Fixtures of the negotiation tests: the demo catalog in the session database and an in-process API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import httpx
import pytest
from opentelemetry import trace

from aura.settings import Settings, get_settings
from aura.telemetry import configure_tracing
from deployments.app import build_api
from negotiation.catalog import Catalog, CatalogItem, seed_demo_catalog
from negotiation.client import NegotiationClient
from negotiation.embedding import HashingEmbedder

#: Test items beside the demo catalog, with known terms.
TEST_ITEMS = [
    CatalogItem(
        id="t_rule",
        name="Test Rule Room",
        description="rule strategy room",
        base_price=500,
        floor_price=400,
        strategy="rule",
        confirm_threshold=1500,
    ),
    CatalogItem(
        id="t_linear",
        name="Test Linear Room",
        description="linear concession room",
        base_price=1000,
        floor_price=800,
        concession="linear",
        confirm_threshold=1500,
    ),
    CatalogItem(
        id="t_conceder",
        name="Test Conceder Room",
        description="conceder room",
        base_price=300,
        floor_price=210,
        concession="conceder",
    ),
    CatalogItem(
        id="t_llm",
        name="Test LLM Suite",
        description="suite priced by a language model",
        base_price=1000,
        floor_price=800,
        strategy="llm",
        concession="linear",
    ),
    CatalogItem(
        id="t_inactive", name="Retired Test Room", description="inactive", base_price=100, floor_price=90, active=False
    ),
]
FLOORS = {item.id: item.floor_price for item in TEST_ITEMS} | {"hotel_alpha": 800.0, "hostel_beta": 40.0}


@pytest.fixture(scope="session")
async def catalog(settings: Settings, db: asyncpg.Pool) -> Catalog:
    """The session database (also the app's, through `settings`) with the demo catalog and test items loaded."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        configure_tracing("aura-tests")  # so decisions are stored with real trace ids
    await seed_demo_catalog(db)
    loaded = Catalog(db, HashingEmbedder())
    await loaded.load(TEST_ITEMS)
    return loaded


@pytest.fixture
def negotiation_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set negotiation settings for the next app built (rate limit high unless a test lowers it)."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AURA_{name.upper()}", str(value))
        get_settings.cache_clear()

    monkeypatch.setenv("AURA_RATE_LIMIT_PER_MINUTE", "100000")
    monkeypatch.delenv("AURA_MISTRAL_API_KEY", raising=False)
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    get_settings.cache_clear()
    yield apply
    get_settings.cache_clear()


@pytest.fixture
def transport(ray_cluster: None, catalog: Catalog, negotiation_env: Callable[..., None]) -> httpx.ASGITransport:
    """The whole API in process, its seller hosts real Ray actors (settings read at first request)."""
    return httpx.ASGITransport(app=build_api())


@pytest.fixture
def rayless_transport(catalog: Catalog, negotiation_env: Callable[..., None]) -> httpx.ASGITransport:
    """The API in process for routes that never reach a seller (search, deals, authentication)."""
    return httpx.ASGITransport(app=build_api())


@pytest.fixture
async def agent(transport: httpx.ASGITransport) -> AsyncIterator[NegotiationClient]:
    """A signing client with a fresh key."""
    async with NegotiationClient("http://test", transport=transport) as client:
        yield client


@pytest.fixture
def new_agent(transport: httpx.ASGITransport) -> Callable[[], NegotiationClient]:
    """Make more signing clients (close them yourself)."""
    return lambda: NegotiationClient("http://test", transport=transport)
