"""The provider interface: a streaming text completion for one cell step."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from aura import AuraError
from lattice.messages import CellTask, Role


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the session as the cell remembers it."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class ProviderRequest:
    """Everything a provider needs for one step: the task, the cell's history and decoding parameters."""

    role: Role
    task: CellTask
    history: tuple[Turn, ...]
    temperature: float
    max_tokens: int


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
