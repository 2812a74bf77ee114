"""What flows between the orchestrator and the cells: roles, tasks, feedback and step results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lattice.sandbox import Run, Workspace
from lattice.verdict import Verdict

Role = Literal["architect", "engineer", "reviewer", "debugger", "research", "synthesizer"]
ROLES: tuple[Role, ...] = ("architect", "engineer", "reviewer", "debugger", "research", "synthesizer")
#: Roles that analyse the request without depending on one another, so they run in parallel.
ANALYSTS: tuple[Role, ...] = ("architect", "research", "debugger")


@dataclass(frozen=True)
class Contribution:
    """An earlier step's output that a later step builds on."""

    role: Role
    text: str
    iteration: int
    verdict: Verdict | None = None
    code: str | None = None


@dataclass(frozen=True)
class CellTask:
    """One step for one cell: the user's prompt, what it builds on, and how to run it.

    `subject` is the text under review (reviewer) or the code to revise (engineer);
    `review` is the verdict the engineer revises against; `workspace` holds the
    files the chat works on and `test_command` how their tests run.
    """

    session_id: str
    step_id: str
    prompt: str
    provider: str
    iteration: int = 1
    contributions: tuple[Contribution, ...] = ()
    subject: str | None = None
    review: Verdict | None = None
    temperature: float | None = None
    stream_id: str | None = None
    workspace: Workspace | None = None
    test_command: str | None = None


@dataclass(frozen=True)
class Feedback:
    """The reviewer's verdict on a step of this cell, delivered after the fact (its quality signal)."""

    step_id: str
    verdict: Verdict


@dataclass
class StepResult:
    """What a cell answered for one step, with the checkable signals behind its confidence.

    `workspace` is set when the step changed the chat's files (the engineer),
    `run` when it ran them in the sandbox (the reviewer and the debugger).
    """

    step_id: str
    role: Role
    response: str
    confidence: float
    provider: str
    iteration: int
    metrics: dict[str, Any] = field(default_factory=dict)
    verdict: Verdict | None = None
    code: str | None = None
    chunks: int = 0
    chunk_sizes: list[int] = field(default_factory=list)
    error: str | None = None
    workspace: Workspace | None = None
    run: Run | None = None

    def chunk_texts(self) -> list[str]:
        """The streamed chunks, cut back out of `response` by their sizes."""
        texts, start = [], 0
        for size in self.chunk_sizes:
            texts.append(self.response[start : start + size])
            start += size
        return texts
