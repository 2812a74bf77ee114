"""The anthropic provider through the real SDK against a local server speaking Anthropic's SSE format."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aura.settings import LatticeSettings
from lattice.messages import CellTask
from lattice.providers import Completion, ProviderError, ProviderRequest, Turn
from lattice.providers.anthropic import AnthropicProvider
from lattice.providers.base import to_messages


def _sse(text_parts: list[str], stop_reason: str) -> list[str]:
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_test",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-test",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 21, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}},
        )
        for part in text_parts
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 7},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]


class FakeAnthropic:
    """Answers /v1/messages from a script of status codes; 200 streams the given text as SSE."""

    def __init__(self, script: list[int], parts: list[str], stop_reason: str = "end_turn") -> None:
        self.script, self.parts, self.stop_reason = script, parts, stop_reason
        self.requests: list[dict] = []

    async def messages(self, request: Request) -> Response:
        self.requests.append(await request.json())
        status = self.script[min(len(self.requests) - 1, len(self.script) - 1)]
        headers = {"retry-after-ms": "5"}
        if status == 429:
            return JSONResponse(
                {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                status_code=429,
                headers=headers,
            )
        if status >= 500:
            return JSONResponse(
                {"type": "error", "error": {"type": "api_error", "message": "internal"}},
                status_code=status,
                headers=headers,
            )

        async def body():
            for event in _sse(self.parts, self.stop_reason):
                yield event

        return StreamingResponse(body(), media_type="text/event-stream")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/messages", self.messages, methods=["POST"])])


def _request(temperature: float = 0.3) -> ProviderRequest:
    task = CellTask(session_id="s", step_id="s:1:engineer", prompt="Write add(a, b).", provider="anthropic")
    history = (
        Turn("assistant", "stray greeting"),
        Turn("user", "earlier question"),
        Turn("user", "more"),
        Turn("assistant", "earlier answer"),
    )
    return ProviderRequest("engineer", task, history, temperature, 512)


def _provider(base_url: str, retries: int = 3) -> AnthropicProvider:
    settings = LatticeSettings(
        anthropic_base_url=base_url,
        anthropic_model="claude-test",
        anthropic_max_retries=retries,
        anthropic_timeout_s=10,
    )
    return AnthropicProvider.from_settings(settings, api_key="sk-ant-test")


async def test_streams_text_after_retrying_429_and_500(serve) -> None:
    fake = FakeAnthropic([429, 500, 200], ["def add(a, b):", "\n    return a + b", "\n"])
    async with serve(fake.app()) as url:
        completion = Completion()
        chunks = [c async for c in _provider(url).stream(_request(), completion)]
    assert chunks == fake.parts
    assert len(fake.requests) == 3
    sent = fake.requests[-1]
    assert sent["model"] == "claude-test" and sent["temperature"] == 0.3 and sent["max_tokens"] == 512
    assert sent["stream"] is True
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][0]["content"] == "earlier question\n\nmore"
    assert "Write add(a, b)." in sent["messages"][-1]["content"]
    assert "engineer cell" in sent["system"]
    assert (completion.stop_reason, completion.refused, completion.input_tokens, completion.output_tokens) == (
        "end_turn",
        False,
        21,
        7,
    )


async def test_refusal_is_recorded_and_persistent_errors_raise(serve) -> None:
    refusing = FakeAnthropic([200], ["I can't help with that."], stop_reason="refusal")
    async with serve(refusing.app()) as url:
        completion = Completion()
        [c async for c in _provider(url).stream(_request(0.0), completion)]
    assert completion.refused and refusing.requests[0]["temperature"] == 0.0

    failing = FakeAnthropic([500], [])
    async with serve(failing.app()) as url:
        with pytest.raises(ProviderError, match="InternalServerError"):
            [c async for c in _provider(url, retries=2).stream(_request(), Completion())]
    assert len(failing.requests) == 3  # the first try and two retries


def test_history_becomes_alternating_turns_starting_with_the_user() -> None:
    turns = to_messages(
        [
            Turn("assistant", "hi"),
            Turn("user", " "),
            Turn("user", "q1"),
            Turn("assistant", "a1"),
            Turn("assistant", "a2"),
        ],
        "q2",
    )
    assert turns == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1\n\na2"},
        {"role": "user", "content": "q2"},
    ]
