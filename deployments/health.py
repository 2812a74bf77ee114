"""`GET /v1/health`: whether Ray, the database and every kind of Aura host answer."""

from __future__ import annotations

import asyncio
from typing import Literal

import ray
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import Request

from aura import __version__
from aura.settings import get_settings
from deployments.replica import database, replica
from deployments.supervision import GroupHealth, supervisor
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
    """The health answer: `ok`, or `degraded` naming what fails (Ray, the database, a kind of host)."""

    status: Literal["ok", "degraded"]
    version: str
    failed: list[str] = Field(description="`ray`, `database`, or the kinds of host whose requests get 503 now.")
    ray: RayHealth
    database: DatabaseHealth
    cells: CellsHealth
    hosts: dict[str, GroupHealth] = Field(
        default_factory=dict, description="Each kind of host: seller, cell, quantum, relay, billing."
    )


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


async def _hosts_health(request: Request) -> dict[str, GroupHealth]:
    """Every kind of host, probed now; asking starts those not running yet and makes again those gone for good.

    A host gets as long to answer as a request waits for one (`host_wait_s`).
    """
    wait_s = min(get_settings().supervision.host_wait_s, _TIMEOUT_S)
    try:
        return await asyncio.wait_for(supervisor(replica(request)).check(wait_s), _TIMEOUT_S + 0.5)
    except Exception:  # Ray not answering is reported as Ray's failure; no hosts is the answer here
        return {}


def _cells(hosts: dict[str, GroupHealth]) -> CellsHealth:
    cells = hosts.get("cell")
    alive = 0 if cells is None else cells.alive
    return CellsHealth(ready=alive == len(ROLES), alive=alive, total=len(ROLES))


@router.get("/v1/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> JSONResponse:
    """200 when Ray, the database and every host answer; 503 naming what does not.

    Hosts still starting for the first time (after `aura up`) do not make the
    service degraded: a request waits for them. A host found gone and coming
    back does, since its requests get 503 until it answers.
    """
    ray_state, db_state, hosts = await asyncio.gather(_ray_health(), _database_health(), _hosts_health(request))
    failed = [name for name, part in (("ray", ray_state), ("database", db_state)) if not part.ok]
    failed += [kind for kind, group in hosts.items() if group.failing]
    body = Health(
        status="degraded" if failed else "ok",
        version=__version__,
        failed=failed,
        ray=ray_state,
        database=db_state,
        cells=_cells(hosts),
        hosts=hosts,
    )
    return JSONResponse(body.model_dump(), status_code=503 if failed else 200)
