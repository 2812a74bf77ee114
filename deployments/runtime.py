"""Bringing the whole local runtime up and down: Ray, the database, the Serve application."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ray
from ray import serve

from aura import NAMESPACE
from aura.settings import Settings
from aura.store import hold_database, migrate, release_database
from deployments.endpoints import Endpoints

log = logging.getLogger(__name__)

SERVE_APP = "aura"


def start_database(settings: Settings) -> str:
    """Hold the database for this process (starting the embedded one if need be) and migrate it; return its URL.

    `release_database` lets go of it; `migrated_database` is both around a block.
    """
    url = hold_database(settings)
    try:
        applied = asyncio.run(migrate(url))
    except BaseException:
        release_database(settings)
        raise
    if applied:
        log.info("migrations applied", extra={"versions": applied})
    return url


@contextmanager
def migrated_database(settings: Settings) -> Iterator[str]:
    """The database, held and migrated for a command's block and released after it (on errors and Ctrl-C too)."""
    url = start_database(settings)
    try:
        yield url
    finally:
        release_database(settings)


def seed_demo_data(database_url: str) -> int:
    """Add the demo catalog items that are missing (idempotent); return how many were added."""
    import asyncpg
    from pgvector.asyncpg import register_vector

    from negotiation import seed_demo_catalog

    async def seed() -> int:
        db = await asyncpg.create_pool(database_url, min_size=1, max_size=2, init=register_vector)
        try:
            return await seed_demo_catalog(db)
        finally:
            await db.close()

    return asyncio.run(seed())


def init_ray(attempts: int = 3, **options: Any) -> Any:
    """`ray.init(**options)`, tried again when a local node times out while starting; signal handlers kept.

    On a busy machine Ray's node start-up can exceed its fixed waits (the raylet
    gives its metrics agent a few seconds to come up, the driver gives the
    raylet 30 s); a second attempt usually finds the machine warmer. Ray's
    driver replaces the process's SIGTERM handler with one that aborts it, so
    a command's own (which stops what it started) is put back.
    """
    kept = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        for attempt in range(1, attempts + 1):
            try:
                return ray.init(**options)
            except Exception as exc:
                if "timed out during startup" not in str(exc) or attempt == attempts:
                    raise
                log.warning("ray did not start in time; trying again", extra={"attempt": attempt})
                ray.shutdown()
    finally:
        if threading.current_thread() is threading.main_thread():
            for signum, handler in kept.items():
                if handler is not None:
                    signal.signal(signum, handler)


def serve_environment(settings: Settings) -> dict[str, str]:
    """The Ray Serve variables for `settings.serve_ingress`, for the Serve controller and replicas.

    `direct` turns on Serve's throughput-optimised mode, whose direct ingress
    lets the gateway replica run its own HTTP server, and gives that server
    exactly `serve_port`. Through Serve's proxy every request is an extra
    process hop and a Ray call; on a 2-core machine that hop cost about
    10 ms of CPU per request and capped a trivial endpoint near 170 req/s
    (`bench/README.md`). A released port is reusable at once, and a stopping
    replica drains for 1 s rather than 30, since no load balancer needs to
    notice it leaving.
    """
    if settings.serve_ingress == "proxy":
        return {}
    return {
        "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
        "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(settings.serve_port),
        "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(settings.serve_port + 1),
        "RAY_SERVE_PORT_QUARANTINE_S": "0",
        "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": "1",
    }


def start_ray(settings: Settings, database_url: str) -> str | None:
    """Start a local Ray with its dashboard, or join `ray_address`; return the dashboard URL.

    Workers get the database URL and the Serve ingress variables through the
    job's environment, so every actor reaches the same database without
    starting one of its own, and the Serve controller and replicas it creates
    serve the way `settings.serve_ingress` says.
    """
    env = {"AURA_DATABASE_URL": database_url, "AURA_DATA_DIR": str(settings.data_dir), **serve_environment(settings)}
    context = init_ray(
        address=settings.ray_address,
        namespace=NAMESPACE,
        include_dashboard=settings.ray_address is None,
        dashboard_host="127.0.0.1",
        dashboard_port=settings.dashboard_port,
        runtime_env={"env_vars": env},
        logging_level=logging.WARNING,
    )
    url = context.dashboard_url
    return f"http://{url}" if url else None


def start_serve(settings: Settings) -> None:
    """Deploy the gateway application on Serve, answering at the configured host and port.

    With direct ingress the gateway replica takes `serve_port`, and Serve's
    proxy, which cannot be turned off without turning off the replica's own
    server too, listens on a free port of its own choosing.
    """
    from deployments.app import app  # the Serve application imports every app's routes: only when serving

    proxy_port = settings.serve_port if settings.serve_ingress == "proxy" else 0
    serve.start(http_options={"host": settings.serve_host, "port": proxy_port})
    serve.run(app, name=SERVE_APP, route_prefix="/")


def up(settings: Settings) -> Endpoints:
    """Start everything `aura up` runs and record where it answers."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    from aura import ensure_billing_sync, jwt_secret

    jwt_secret(settings)  # made (or found unusable) before anything serves
    url = start_database(settings)
    added = seed_demo_data(url)
    if added:
        log.info("demo catalog seeded", extra={"items": added})
    dashboard = start_ray(settings, url)
    ensure_billing_sync(settings)
    start_serve(settings)
    base = f"http://{settings.serve_host}:{settings.serve_port}"
    endpoints = Endpoints(
        pid=os.getpid(),
        api=base,
        docs=f"{base}/docs",
        dashboard=dashboard,
        embedded_database=settings.database_url is None,
        ray_address=ray.get_runtime_context().gcs_address,
    )
    endpoints.save(settings.data_dir)
    return endpoints


def wait_for_cells(endpoints: Endpoints, timeout_s: float = 120.0) -> tuple[int, int]:
    """Wait until the gateway reports every cell host answering; return (answering, total) at the end.

    Asking `/v1/health` is what starts them: the six hosts start at once, so
    the first chat does not wait for them one by one.
    """
    import httpx

    deadline = time.monotonic() + timeout_s
    cells = {"alive": 0, "total": 0}
    while time.monotonic() < deadline:
        try:
            cells = httpx.get(f"{endpoints.api}/v1/health", timeout=10).json()["cells"]
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if cells.get("ready"):
            break
        time.sleep(0.5)
    return int(cells["alive"]), int(cells["total"])


def down(settings: Settings) -> None:
    """Stop what `up` started: Serve, the local Ray (if this process started it), the embedded database."""
    try:
        if ray.is_initialized():
            serve.shutdown()
    finally:
        ray.shutdown()
        release_database(settings)
        (settings.data_dir / "up.json").unlink(missing_ok=True)
