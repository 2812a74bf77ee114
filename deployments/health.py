"""`GET /v1/health`: whether Ray and the database answer, and whether the lattice's cells are ready."""

from __future__ import annotations

import asyncio
from typing import Literal

import ray
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import Request

from aura import __version__
from deployments.lattice.service import lattice_service
from deployments.replica import database
from lattice import ROLES

router = APIRouter(tags=["health"])

_TIMEOUT_S = 2.0


class RayHealth(BaseModel):
    """What the Ray cluster looks like from this replica."""

    ok: bool
    alive_nodes: int = 0
    cpus: float = 0.0
    error: str | None = None


class DatabaseHealth(BaseModel):
    """Whether PostgreSQL answers, and at which schema version."""

    ok: bool
    schema_version: int | None = None
    latency_ms: float | None = None
    error: str | None = None


class CellsHealth(BaseModel):
    """How many of the lattice's cell hosts answer; until all do, a chat waits for the rest to start."""

    ready: bool = Field(description="Every cell host answers: a chat starts at once.")
    alive: int
    total: int


class Health(BaseModel):
    """The health answer: `ok`, or `degraded` naming what failed (Ray, the database); the cells as they stand."""

    status: Literal["ok", "degraded"]
    version: str
    failed: list[str]
    ray: RayHealth
    database: DatabaseHealth
    cells: CellsHealth


async def _ray_health() -> RayHealth:
    try:
        nodes = await asyncio.wait_for(asyncio.to_thread(ray.nodes), _TIMEOUT_S)
    except Exception as exc:  # any failure here is the answer, not a crash
        return RayHealth(ok=False, error=type(exc).__name__)
    alive = [n for n in nodes if n.get("Alive")]
    cpus = sum(n.get("Resources", {}).get("CPU", 0.0) for n in alive)
    return RayHealth(ok=bool(alive), alive_nodes=len(alive), cpus=cpus)


async def _database_health() -> DatabaseHealth:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        db = await asyncio.wait_for(database(), _TIMEOUT_S)
        version = await asyncio.wait_for(db.fetchval("SELECT max(version) FROM schema_migrations"), _TIMEOUT_S)
    except Exception as exc:  # any failure here is the answer, not a crash
        return DatabaseHealth(ok=False, error=type(exc).__name__)
    return DatabaseHealth(ok=True, schema_version=version, latency_ms=round((loop.time() - started) * 1000, 2))


async def _cells_health(request: Request) -> CellsHealth:
    """The cell hosts that answer a ping; asking starts those not running yet (the lattice warms up)."""
    try:
        service = await asyncio.wait_for(lattice_service(request), _TIMEOUT_S)
        alive = await asyncio.wait_for(service.directory.alive(timeout_s=_TIMEOUT_S), _TIMEOUT_S + 0.5)
    except Exception:  # no cells is the answer, not a crash
        return CellsHealth(ready=False, alive=0, total=len(ROLES))
    answering = sum(alive.values())
    return CellsHealth(ready=answering == len(ROLES), alive=answering, total=len(ROLES))


@router.get("/v1/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> JSONResponse:
    """200 when Ray and the database both answer; 503 naming the dependency that does not.

    Cells not ready yet (starting after `aura up`, or restarting) do not make
    the service degraded: a chat still runs, waiting for them.
    """
    ray_state, db_state, cells = await asyncio.gather(_ray_health(), _database_health(), _cells_health(request))
    failed = [name for name, part in (("ray", ray_state), ("database", db_state)) if not part.ok]
    body = Health(
        status="degraded" if failed else "ok",
        version=__version__,
        failed=failed,
        ray=ray_state,
        database=db_state,
        cells=cells,
    )
    return JSONResponse(body.model_dump(), status_code=503 if failed else 200)
