"""ASGI middleware recording every HTTP request's route, method, status and latency as Aura metrics.

Routes are labelled by their template (`/v1/aura/sessions/{session_id}/end`),
never by the path a caller sent, so the label set stays small; a request no
route matched is `unmatched`. A WebSocket counts once, when it closes.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deployments.metrics import LATENCY, REQUESTS


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestMetrics:
    """Counts and times each request by route template, method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500 if scope["type"] == "http" else 1000]

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "websocket.close":
                status[0] = message.get("code", 1000)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            method = scope.get("method", "WS")
            route = _route(scope)
            REQUESTS.inc(route=route, method=method, status=str(status[0]))
            LATENCY.observe(time.perf_counter() - started, route=route, method=method)
