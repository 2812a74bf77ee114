"""A local HTTP server speaking Mistral's chat-completions wire format, for testing the `llm` strategy.

It answers `POST /v1/chat/completions` with whatever the test scripted
(a decision, raw content, an HTTP error, or a stall) and keeps every request
body it received.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    """What the next answers look like."""

    content: str = '{"action": "counter", "price": 950, "message": "We could do 950.00 USD."}'
    status: int = 200
    delay_s: float = 0.0


@dataclass
class MistralStub:
    """The running server: its URL, its script, and the requests it saw."""

    url: str
    script: Script = field(default_factory=Script)
    requests: list[dict[str, Any]] = field(default_factory=list)


def completion(content: str, model: str) -> dict[str, Any]:
    """A chat.completion response body as Mistral sends it."""
    return {
        "id": "cmpl-test",
        "object": "chat.completion",
        "model": model,
        "created": int(time.time()),
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, "tool_calls": None},
            }
        ],
    }


def start() -> tuple[MistralStub, ThreadingHTTPServer]:
    """Serve on an ephemeral loopback port in a daemon thread."""
    stub = MistralStub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            script = stub.script
            if script.delay_s:
                time.sleep(script.delay_s)
            if self.path != "/v1/chat/completions":
                payload, status = {"message": "not found"}, 404
            elif script.status != 200:
                payload, status = {"object": "error", "message": "scripted failure", "type": "api_error"}, script.status
            else:
                payload, status = completion(script.content, body.get("model", "")), 200
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub, server
