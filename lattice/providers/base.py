"""The provider interface: a streaming text completion for one cell step, and what its implementations share."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from aura import AuraError
from lattice.messages import CellTask, Role
from lattice.sandbox import Run


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the session as the cell remembers it."""

    role: Literal["user", "assistant"]
    content: str


def to_messages(history: tuple[Turn, ...] | list[Turn], current: str) -> list[dict[str, str]]:
    """History plus the current request as chat turns that start with the user and alternate.

    The Messages API wants exactly that, and so do the chat templates of many
    local models behind chat completions servers, so empty turns are dropped,
    consecutive turns of one role are merged, and a leading assistant turn is
    dropped.
    """
    turns: list[dict[str, str]] = []
    for turn in [*history, Turn("user", current)]:
        content = turn.content.strip()
        if not content:
            continue
        if turns and turns[-1]["role"] == turn.role:
            turns[-1]["content"] += "\n\n" + content
        elif turns or turn.role == "user":
            turns.append({"role": turn.role, "content": content})
    return turns


def backoff_s(attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, …): doubling from 0.5 up to 8, with jitter."""
    return min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


@dataclass(frozen=True)
class ProviderRequest:
    """Everything a provider needs for one step: the task, the cell's history and decoding parameters.

    `run` is the sandboxed run of the task's workspace the cell made before
    asking (the reviewer's tests, the debugger's reproduction); where none
    could be made, `sandbox_problem` says why.
    """

    role: Role
    task: CellTask
    history: tuple[Turn, ...]
    temperature: float
    max_tokens: int
    run: Run | None = None
    sandbox_problem: str | None = None


@dataclass
class Completion:
    """How a stream ended, filled in by the provider as it streams."""

    stop_reason: str | None = None
    refused: bool = False
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    notes: list[str] = field(default_factory=list)


class ProviderError(AuraError):
    """The provider could not answer (after its retries); the detail says why."""

    default_code = "provider_error"


class Provider(ABC):
    """A source of streamed answers; `name` is reported with every response."""

    name: str

    @abstractmethod
    def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """Yield the answer's text in chunks as it is produced; record how it ended in `completion`."""
