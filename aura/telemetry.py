"""Tracing and JSON logs: every log line carries the request id and the trace id."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from aura.version import __version__

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("aura_request_id", default=None)
#: Named durations (ms) of the current request's stages, reported in its `Server-Timing` header.
stage_timings: contextvars.ContextVar[list[tuple[str, float]] | None] = contextvars.ContextVar(
    "aura_stage_timings", default=None
)

#: Starts `request_span`s; a proxy until `configure_tracing` installs the provider, then that provider's.
_requests = trace.get_tracer(__name__, __version__)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage of the current request for its `Server-Timing` header (a no-op outside a request)."""
    timings = stage_timings.get()
    if timings is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        timings.append((name, (time.perf_counter() - started) * 1000))


def current_trace_id() -> str | None:
    """The hex id of the active span's trace, if there is a span (recorded or not)."""
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's extra fields and the ids in context."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "trace_id": current_trace_id(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


#: Libraries that narrate routine work at INFO (each transpiler pass, pg_ctl call, HTTP request); warnings still pass.
_CHATTY = ("qiskit", "pgserver", "httpx")


def configure_logging(level: str) -> None:
    """Send this process's logs to stderr as JSON lines at `level` (chatty libraries' from WARNING up)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def records_spans() -> bool:
    """Whether this process records spans: it exports them (`OTEL_EXPORTER_OTLP_ENDPOINT`) or a sampler is set."""
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_TRACES_SAMPLER"))


def configure_tracing(service: str) -> TracerProvider:
    """Install the process's tracer provider; spans are exported over OTLP only when configured.

    With `OTEL_EXPORTER_OTLP_ENDPOINT` unset nothing is exported, so spans are
    not recorded either (unless `OTEL_TRACES_SAMPLER` asks for it): they still
    carry trace ids, so logs, headers and stored rows keep correlating, without
    the cost of collecting attributes nobody will read.
    """
    exporting = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    sampler = None if records_spans() else ALWAYS_OFF
    provider = TracerProvider(
        sampler=sampler, resource=Resource.create({"service.name": service, "service.version": __version__})
    )
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


@contextmanager
def request_span(method: str, carrier: Mapping[str, str]) -> Iterator[None]:
    """An unrecorded server span for one request: its trace continues the caller's `traceparent`, or starts.

    For when nothing records spans (see `records_spans`): the request still
    gets a trace id for its logs, headers and stored rows, at the cost of a
    few ids rather than of a recorded span.
    """
    with _requests.start_as_current_span(
        method,
        context=propagate.extract(carrier),
        kind=trace.SpanKind.SERVER,
        record_exception=False,
        set_status_on_exception=False,
    ):
        yield
