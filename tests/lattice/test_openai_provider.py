"""The openai provider through the real SDK against a local server speaking the chat completions SSE format."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aura.settings import LatticeSettings, Settings
from lattice.messages import CellTask
from lattice.providers import Completion, ProviderError, ProviderRequest, Turn, get_provider, provider_name
from lattice.providers.openai import OpenAIProvider

KEY = "sk-local-test-key"


@dataclass(frozen=True)
class Cut:
    """A script step: a 200 stream whose connection drops after `after` text chunks."""

    after: int


def _chunk(choices: list[dict], usage: dict | None = None) -> str:
    data = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "qwen-test",
        "choices": choices,
        "usage": usage,
    }
    return f"data: {json.dumps(data)}\n\n"


def _sse(text_parts: list[str], finish_reason: str) -> list[str]:
    events = [_chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
    events += [_chunk([{"index": 0, "delta": {"content": part}, "finish_reason": None}]) for part in text_parts]
    events += [
        _chunk([{"index": 0, "delta": {}, "finish_reason": finish_reason}]),
        _chunk([], {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28}),
        "data: [DONE]\n\n",
    ]
    return events


class FakeChatCompletions:
    """Answers /v1/chat/completions from a script of status codes and cuts; 200 streams the given text as SSE."""

    def __init__(self, script: list[int | Cut], parts: list[str], finish_reason: str = "stop") -> None:
        self.script, self.parts, self.finish_reason = script, parts, finish_reason
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []

    async def completions(self, request: Request) -> Response:
        self.requests.append(await request.json())
        self.authorizations.append(request.headers.get("authorization"))
        step = self.script[min(len(self.requests) - 1, len(self.script) - 1)]
        headers = {"retry-after-ms": "5"}
        if step == 429:
            return JSONResponse(
                {"error": {"message": "slow down", "type": "rate_limit_error"}}, status_code=429, headers=headers
            )
        if isinstance(step, int) and step >= 500:
            # Like a proxy that quotes the request it failed, headers and all.
            message = f"upstream failed for {self.authorizations[-1]}"
            return JSONResponse(
                {"error": {"message": message, "type": "server_error"}}, status_code=step, headers=headers
            )
        events = _sse(self.parts, self.finish_reason)

        async def body():
            for sent, event in enumerate(events):
                if isinstance(step, Cut) and sent > step.after:
                    raise ConnectionResetError("the server went away mid-answer")
                yield event

        return StreamingResponse(body(), media_type="text/event-stream")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])])


def _request(temperature: float = 0.3) -> ProviderRequest:
    task = CellTask(session_id="s", step_id="s:1:engineer", prompt="Write add(a, b).", provider="openai")
    history = (Turn("user", "earlier question"), Turn("assistant", "earlier answer"))
    return ProviderRequest("engineer", task, history, temperature, 512)


_made: list[OpenAIProvider] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    """Close each test's SDK clients while the event loop and httpx are still there to close them."""
    yield
    while _made:
        await _made.pop().close()


def _provider(url: str, retries: int = 3, key: str | None = None) -> OpenAIProvider:
    settings = LatticeSettings(
        openai_base_url=f"{url}/v1",
        openai_model="qwen-test",
        openai_max_retries=retries,
        openai_timeout_s=10,
        openai_api_key=key,
    )
    provider = OpenAIProvider.from_settings(settings)
    _made.append(provider)
    return provider


async def test_streams_text_in_order_after_retrying_429_and_500(serve) -> None:
    fake = FakeChatCompletions([429, 500, 200], ["def add(a, b):", "\n    return a + b", "\n"])
    async with serve(fake.app()) as url:
        completion = Completion()
        chunks = [c async for c in _provider(url).stream(_request(), completion)]
    assert chunks == fake.parts
    assert len(fake.requests) == 3
    sent = fake.requests[-1]
    assert sent["model"] == "qwen-test" and sent["temperature"] == 0.3 and sent["max_tokens"] == 512
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]
    assert "engineer cell" in sent["messages"][0]["content"]
    assert "Write add(a, b)." in sent["messages"][-1]["content"]
    assert fake.authorizations[-1] == "Bearer unused"  # no key set: the placeholder local servers ignore
    assert (completion.stop_reason, completion.refused, completion.model) == ("end_turn", False, "qwen-test")
    assert (completion.input_tokens, completion.output_tokens) == (21, 7)


async def test_length_is_the_max_tokens_stop_reason(serve) -> None:
    fake = FakeChatCompletions([200], ["def add(a, b):"], finish_reason="length")
    async with serve(fake.app()) as url:
        completion = Completion()
        [c async for c in _provider(url).stream(_request(0.0), completion)]
    assert completion.stop_reason == "max_tokens" and not completion.refused
    assert fake.requests[0]["temperature"] == 0.0


async def test_persistent_500_raises_a_provider_error_that_hides_the_key(serve) -> None:
    fake = FakeChatCompletions([500], [])
    async with serve(fake.app()) as url:
        with pytest.raises(ProviderError, match="openai: InternalServerError") as raised:
            [c async for c in _provider(url, retries=2, key=KEY).stream(_request(), Completion())]
    assert len(fake.requests) == 3  # the first try and two retries
    assert fake.authorizations == [f"Bearer {KEY}"] * 3
    assert "upstream failed for Bearer ********" in str(raised.value)
    assert KEY not in str(raised.value) and KEY not in repr(raised.value)


async def test_a_stream_cut_after_text_raises_and_is_not_retried(serve) -> None:
    fake = FakeChatCompletions([Cut(after=1), 200], ["def add(a, b):", "\n    return a + b"])
    async with serve(fake.app()) as url:
        stream = _provider(url).stream(_request(), Completion())
        assert await anext(stream) == "def add(a, b):"
        with pytest.raises(ProviderError, match="APIConnectionError"):
            await anext(stream)
    assert len(fake.requests) == 1


async def test_a_stream_cut_before_any_text_is_retried(serve) -> None:
    fake = FakeChatCompletions([Cut(after=0), 200], ["def add(a, b):"])
    async with serve(fake.app()) as url:
        completion = Completion()
        chunks = [c async for c in _provider(url).stream(_request(), completion)]
    assert chunks == fake.parts and len(fake.requests) == 2
    assert completion.notes == ["retried after APIConnectionError"]
    assert completion.stop_reason == "end_turn"


def test_aura_lattice_provider_openai_selects_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURA_LATTICE_PROVIDER", "openai")
    monkeypatch.setenv("AURA_OPENAI_MODEL", "llama3.2:3b")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    lattice = Settings().lattice
    assert provider_name(lattice, anthropic_key_set=True) == "openai"
    assert lattice.openai_model == "llama3.2:3b" and lattice.openai_base_url == "http://127.0.0.1:11434/v1"
    assert lattice.openai_api_key is not None and lattice.openai_api_key.get_secret_value() == KEY
    assert KEY not in repr(lattice)
    monkeypatch.undo()  # the factory reads the process's own settings
    made = get_provider("openai")
    assert isinstance(made, OpenAIProvider)
    _made.append(made)
