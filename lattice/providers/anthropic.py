"""The Anthropic provider: the official SDK's async client on the streaming Messages API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import anthropic
from anthropic.types import MessageParam

from aura.settings import LatticeSettings, get_settings
from lattice.prompts import SYSTEM, render_task
from lattice.providers.base import Completion, Provider, ProviderError, ProviderRequest, backoff_s, to_messages


def _midstream(exc: BaseException) -> bool:
    """Whether `exc` is an `error` event inside a stream that had opened (HTTP 200), e.g. overloaded_error.

    The SDK has already retried 429, 5xx and connection failures before the
    stream opened; only these in-stream errors are left for this provider.
    """
    return isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400


class AnthropicProvider(Provider):
    """Streams a cell step from Claude.

    The SDK retries 429 and 5xx answers with exponential backoff (honouring
    `retry-after`) before a stream opens; an error event inside a stream that
    has produced no text yet is retried here the same way, since nothing has
    been shown to anyone. Once text has streamed, an error ends the step.
    """

    name = "anthropic"

    def __init__(self, client: anthropic.AsyncAnthropic, model: str, max_retries: int) -> None:
        self._client = client
        self._model = model
        self._max_retries = max_retries

    @classmethod
    def from_settings(cls, settings: LatticeSettings | None = None, api_key: str | None = None) -> AnthropicProvider:
        """A provider configured from `AURA_ANTHROPIC_*` and the core settings' API key."""
        settings = settings or get_settings().lattice
        if api_key is None:
            secret = settings.anthropic_api_key
            if secret is None:
                raise ProviderError(detail="the anthropic provider needs ANTHROPIC_API_KEY")
            api_key = secret.get_secret_value()
        client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=settings.anthropic_base_url,
            timeout=settings.anthropic_timeout_s,
            max_retries=settings.anthropic_max_retries,
        )
        return cls(client, settings.anthropic_model, settings.anthropic_max_retries)

    async def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """Yield text deltas as they arrive; record stop reason, refusal and token usage."""
        messages = to_messages(
            request.history, render_task(request.role, request.task, request.run, request.sandbox_problem)
        )
        attempt = 0
        while True:
            produced = False
            try:
                # This SDK release has no `temperature` argument; the Messages API still takes the
                # field, so it travels in the body to keep the request's temperature honoured.
                async with self._client.messages.stream(
                    model=self._model,
                    max_tokens=request.max_tokens,
                    system=SYSTEM[request.role],
                    messages=cast(list[MessageParam], messages),  # the SDK's typed dicts of these turns
                    extra_body={"temperature": request.temperature},
                ) as stream:
                    async for text in stream.text_stream:
                        if text:
                            produced = True
                            yield text
                    final = await stream.get_final_message()
                completion.model = final.model
                completion.stop_reason = final.stop_reason
                completion.refused = final.stop_reason == "refusal"
                completion.input_tokens = final.usage.input_tokens
                completion.output_tokens = final.usage.output_tokens
                return
            except anthropic.APIError as exc:
                if produced or not _midstream(exc) or attempt >= self._max_retries:
                    raise ProviderError(detail=f"anthropic: {type(exc).__name__}: {exc}") from exc
                attempt += 1
                completion.notes.append(f"retried after {type(exc).__name__}")
                await asyncio.sleep(backoff_s(attempt))
