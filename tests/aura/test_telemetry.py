"""JSON logs carry request and trace ids; spans go to an OTLP endpoint only when one is set."""

from __future__ import annotations

import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.sdk.trace import TracerProvider

from aura.telemetry import JsonFormatter, configure_tracing, request_id


def test_a_log_line_is_json_with_the_request_and_trace_ids() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("aura.test.telemetry")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id.set("req-42")
    try:
        with TracerProvider().get_tracer(__name__).start_as_current_span("work") as span:
            logger.warning("seller answered", extra={"item_id": "hotel_alpha"})
            expected_trace = f"{span.get_span_context().trace_id:032x}"
    finally:
        request_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "seller answered" and line["level"] == "WARNING"
    assert line["request_id"] == "req-42" and line["item_id"] == "hotel_alpha"
    assert line["trace_id"] == expected_trace != "0" * 32


class Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that keeps the paths it was sent."""

    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Collector.received.append((self.path, len(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    try:
        provider = configure_tracing("aura-test")
        with provider.get_tracer("test").start_as_current_span("negotiate"):
            pass
        provider.force_flush()
        provider.shutdown()
    finally:
        server.shutdown()
    assert Collector.received and Collector.received[0][0] == "/v1/traces" and Collector.received[0][1] > 0


def test_without_an_endpoint_spans_carry_trace_ids_but_record_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    provider = configure_tracing("aura-test")
    with provider.get_tracer("test").start_as_current_span("negotiate") as span:
        span.set_attribute("item_id", "hotel_alpha")
        assert not span.is_recording()
        assert span.get_span_context().trace_id != 0
    provider.shutdown()


def test_a_sampler_set_in_the_environment_still_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    provider = configure_tracing("aura-test")
    with provider.get_tracer("test").start_as_current_span("negotiate") as span:
        assert span.is_recording()
    provider.shutdown()
