"""The Aura Serve application: one FastAPI ingress for every HTTP and WebSocket route."""

from __future__ import annotations

import time
import uuid

from fastapi import FastAPI, Request, Response
from opentelemetry import trace
from ray import serve

from aura import __version__
from aura.settings import get_settings
from aura.telemetry import configure_logging, configure_tracing, current_trace_id, request_id, tracer
from deployments import errors, health
from deployments import negotiation as negotiation_routes
from deployments import aura_api
from deployments import quantum as quantum_routes

_tracer = tracer(__name__)


def build_api() -> FastAPI:
    """The FastAPI application with every router, error handler and the request-id middleware."""
    api = FastAPI(title="Aura", version=__version__, description="Actor runtime on Ray for AI agents that work together.")
    errors.install(api)
    api.include_router(health.router)
    api.include_router(negotiation_routes.router)
    api.include_router(aura_api.router)
    api.include_router(quantum_routes.router)

    @api.middleware("http")
    async def _correlate(request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            with _tracer.start_as_current_span(f"{request.method} {request.url.path}", kind=trace.SpanKind.SERVER):
                response = await call_next(request)
                response.headers["X-Request-ID"] = rid
                trace_id = current_trace_id()
                if trace_id:
                    response.headers["X-Trace-ID"] = trace_id
                response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
                return response
        finally:
            request_id.reset(token)

    return api


# The app is built inside each replica: FastAPI apps carry context variables that cannot be pickled.
# Every route awaits (Ray calls, the database), so one replica serves many requests at once;
# Serve's default of 5 in flight queued the rest and made p99 grow with the client count.
@serve.deployment(name="gateway", num_replicas=1, max_ongoing_requests=128, ray_actor_options={"num_cpus": 0})
@serve.ingress(build_api)
class Gateway:
    """The ingress replica: configures logs and tracing for its process, then serves `api`."""

    def __init__(self) -> None:
        settings = get_settings()
        configure_logging(settings.log_level)
        configure_tracing("aura-gateway")


app = Gateway.bind()
