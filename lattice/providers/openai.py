"""The OpenAI-compatible provider: the official SDK's async client on streaming chat completions.

Any server of the chat completions API answers it: a local model behind
Ollama, vLLM, llama.cpp's server or LM Studio, or OpenAI itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionMessageParam

from aura.settings import LatticeSettings, get_settings
from lattice.prompts import SYSTEM, render_task
from lattice.providers.base import Completion, Provider, ProviderError, ProviderRequest, backoff_s, to_messages

#: The key sent when none is set: local servers ignore it, and the SDK will not start without one.
NO_KEY = "unused"

#: Finish reasons under the stop reasons the rest of the lattice reads (the Messages API's names).
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "content_filter": "refusal"}


class OpenAIProvider(Provider):
    """Streams a cell step from a chat completions server.

    The SDK retries 429 and 5xx answers and failed connections with
    exponential backoff (honouring `retry-after`) before a stream opens; a
    stream that opened and then failed (an error chunk, a cut connection, an
    end without a finish reason) before any text is retried here the same way,
    since nothing has been shown to anyone. Once text has streamed, a failure
    ends the step, so a partial answer never passes for a whole one.
    """

    name = "openai"

    def __init__(self, client: openai.AsyncOpenAI, model: str, max_retries: int) -> None:
        self._client = client
        self._model = model
        self._max_retries = max_retries

    @classmethod
    def from_settings(cls, settings: LatticeSettings | None = None) -> OpenAIProvider:
        """A provider configured from `AURA_OPENAI_*` and the key of `OPENAI_API_KEY`, if one is set."""
        settings = settings or get_settings().lattice
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key is not None else ""
        client = openai.AsyncOpenAI(
            api_key=key or NO_KEY,
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_s,
            max_retries=settings.openai_max_retries,
        )
        return cls(client, settings.openai_model, settings.openai_max_retries)

    async def close(self) -> None:
        """Close the client's connections (a process's cached provider keeps them for its lifetime)."""
        await self._client.close()

    async def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """Yield content deltas as they arrive; record stop reason, refusal, model and token usage."""
        messages = [
            {"role": "system", "content": SYSTEM[request.role]},
            *to_messages(
                request.history, render_task(request.role, request.task, request.run, request.sandbox_problem)
            ),
        ]
        attempt = 0
        while True:
            opened = produced = False
            try:
                chunks = await self._client.chat.completions.create(
                    model=self._model,
                    messages=cast(list[ChatCompletionMessageParam], messages),  # the SDK's typed dicts of these turns
                    temperature=request.temperature,
                    # Not OpenAI's newer `max_completion_tokens`: this is the name every compatible server reads.
                    max_tokens=request.max_tokens,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                opened = True
                finish: str | None = None
                model: str | None = None
                usage: CompletionUsage | None = None
                async with chunks:
                    async for chunk in chunks:
                        model = chunk.model or model
                        usage = chunk.usage or usage
                        for choice in chunk.choices:  # none in the closing usage chunk
                            if choice.delta.content:
                                produced = True
                                yield choice.delta.content
                            finish = choice.finish_reason or finish
                if finish is None:
                    # A server that dies mid-answer may still end its body cleanly; only a finish reason says the
                    # answer is whole.
                    raise openai.APIError(
                        "the stream ended without a finish_reason", chunks.response.request, body=None
                    )
                completion.model = model
                completion.stop_reason = STOP_REASONS.get(finish, finish)
                completion.refused = completion.stop_reason == "refusal"
                if usage is not None:
                    completion.input_tokens = usage.prompt_tokens
                    completion.output_tokens = usage.completion_tokens
                return
            except openai.APIError as exc:
                if produced or not opened or attempt >= self._max_retries:
                    raise ProviderError(detail=self._redacted(f"openai: {type(exc).__name__}: {exc}")) from exc
                attempt += 1
                completion.notes.append(f"retried after {type(exc).__name__}")
                await asyncio.sleep(backoff_s(attempt))

    def _redacted(self, detail: str) -> str:
        """`detail` without the key: some proxies echo a request's headers in their error bodies."""
        key = self._client.api_key
        return detail if key == NO_KEY else detail.replace(key, "********")
