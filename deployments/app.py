"""The Aura Serve application: one FastAPI ingress for every HTTP and WebSocket route."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext

from fastapi import FastAPI
from ray import serve
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aura import (
    TokenVerifier,
    __version__,
    configure_logging,
    configure_tracing,
    current_trace_id,
    records_spans,
    request_id,
    request_span,
    stage_timings,
)
from aura.settings import get_settings
from aura.store import Sweeper
from deployments import contract, errors, health, lattice, negotiation, quantum
from deployments.body_limit import BodyLimit
from deployments.ingress import reuse_address
from deployments.replica import Replica, database
from deployments.request_metrics import RequestMetrics
from deployments.supervision import supervisor
from lattice import sweep_ended_sessions

#: The headers W3C trace context (and baggage) propagation reads.
_TRACE_HEADERS = {b"traceparent", b"tracestate", b"baggage"}


class Correlation:
    """ASGI middleware: a request id for every HTTP request, echoed with its trace id in the answer's headers.

    Behind Serve, whose own middleware sits outside this one, the request id
    is Serve's (it adds one to the request when the caller sent none) and
    Serve echoes it, so `echo_request_id` is off there.

    When spans are recorded, the request's server span is FastAPI's own (its
    native OpenTelemetry support, which wraps every middleware). When they are
    not, FastAPI's is switched off and this middleware starts an unrecorded
    one (`request_span`), which is all the trace id needs. Written against
    ASGI directly: Starlette's `BaseHTTPMiddleware` runs the app in a task
    group with memory streams in between, a cost every request would pay.
    """

    def __init__(self, app: ASGIApp, *, start_spans: bool, echo_request_id: bool) -> None:
        self.app = app
        self.start_spans = start_spans
        self.echo_request_id = echo_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""
        carrier: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value
            elif name in _TRACE_HEADERS:
                carrier[name.decode("latin-1")] = value.decode("latin-1")
        rid = given.decode("latin-1") or uuid.uuid4().hex
        token = request_id.set(rid)
        timings: list[tuple[str, float]] = []
        timings_token = stage_timings.set(timings)
        started = time.perf_counter()

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = [("app", (time.perf_counter() - started) * 1000), *timings]
                extra = [(b"server-timing", ", ".join(f"{name};dur={ms:.1f}" for name, ms in spent).encode())]
                if self.echo_request_id:
                    extra.append((b"x-request-id", rid.encode("latin-1")))
                trace_id = current_trace_id()
                if trace_id:
                    extra.append((b"x-trace-id", trace_id.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            with request_span(scope["method"], carrier) if self.start_spans else nullcontext():
                await self.app(scope, receive, answer)
        finally:
            stage_timings.reset(timings_token)
            request_id.reset(token)


@asynccontextmanager
async def _background(api: FastAPI) -> AsyncIterator[None]:
    """What a gateway replica runs beside its requests, for as long as it serves.

    The retention sweep (one replica sweeps at a time) and the supervisor, which
    makes again any host gone for good even when no request needs it.
    """
    sweeper = Sweeper(database, [sweep_ended_sessions], get_settings().retention)
    sweeper.start()
    supervising = asyncio.create_task(supervisor(api.state.replica).run())
    try:
        yield
    finally:
        supervising.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervising
        await sweeper.stop()


def build_api(*, behind_serve: bool = False) -> FastAPI:
    """The FastAPI application with every router, error handler and the correlation middleware."""
    # One span per request is what the traces need; spans around every dependency and the
    # serialisation would cost each request more than its own work. FastAPI's telemetry took 7 % of
    # the gateway's loop under load even with spans unrecorded, so it runs only when they are recorded.
    recorded = records_spans()
    api = FastAPI(
        title="Aura",
        version=__version__,
        description="Actor runtime on Ray for AI agents that work together.",
        telemetry={"operation_spans": False, "tracing": recorded, "metrics": recorded, "logs": recorded},
        lifespan=_background if behind_serve else None,
    )
    errors.install(api)
    api.include_router(health.router)
    api.include_router(negotiation.router)
    api.include_router(lattice.router)
    api.include_router(quantum.router)
    contract.install(api)
    api.state.replica = Replica()
    # Built now, so a secret that cannot sign tokens fails the app (and `aura up`), not every request.
    api.state.replica.provide("verifier", TokenVerifier())
    api.add_middleware(BodyLimit, max_bytes=get_settings().limits.max_body_bytes)
    api.add_middleware(Correlation, start_spans=not recorded, echo_request_id=not behind_serve)
    api.add_middleware(RequestMetrics)
    return api


def gateway_api() -> FastAPI:
    """`build_api` as the gateway replica serves it."""
    return build_api(behind_serve=True)


# The app is built inside each replica: FastAPI apps carry context variables that cannot be pickled.
# Every route awaits (Ray calls, the database), so one replica serves many requests at once;
# Serve's default of 5 in flight queued the rest and made p99 grow with the client count.
@serve.deployment(name="gateway", num_replicas=1, max_ongoing_requests=128, ray_actor_options={"num_cpus": 0})
@serve.ingress(gateway_api)
class Gateway:
    """The ingress replica: configures logs and tracing for its process, then serves `api`."""

    def __init__(self) -> None:
        settings = get_settings()
        configure_logging(settings.log_level)
        configure_tracing("aura-gateway")
        reuse_address()  # before Serve starts this replica's HTTP server, which follows __init__
        # Everything loaded so far (Ray, FastAPI, OpenTelemetry: a few hundred thousand objects) lives as
        # long as the process; kept out of the collector, a full collection pauses requests for a few ms
        # rather than ~100 ms.
        gc.freeze()


app = Gateway.bind()  # type: ignore[attr-defined]  # Serve adds `bind` when it decorates the class
