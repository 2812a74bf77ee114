"""Orchestration of one chat: the workflow's stages, the revision loop, the synthesizer, all as cell messages.

Every step is a message to a cell actor and is awaited, so the event loop is
never blocked; steps of one stage run concurrently. Streamed chunks arrive
through the relay and are forwarded as events before the step's `done`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import ray
from pydantic import BaseModel

from actors import Failure
from aura import NamedActor
from lattice.directory import CellDirectory
from lattice.events import AgentUpdate, ResponseChunk, SandboxRunEvent
from lattice.messages import CellTask, Contribution, Feedback, Role, StepResult
from lattice.sandbox import Run, Workspace
from lattice.verdict import Verdict
from lattice.workflow import Workflow, select

log = logging.getLogger(__name__)

_RELAY_POLL_S = 5.0
#: How long the end of a chat waits for the relay consumer to stop.
_CHUNK_GRACE_S = 2.0


class EventSink(Protocol):
    """Where a chat's live events go (the gateway's session bus)."""

    def publish(self, session_id: str, event: BaseModel) -> None:
        """Deliver without waiting."""

    def listeners(self, session_id: str) -> int:
        """How many connections follow the session."""


@dataclass(frozen=True)
class ChatPlan:
    """One chat request as the orchestrator needs it; `workspace` holds the files it works on, if any.

    `review` is a verdict to revise against from the start (AutoPilot's previous step),
    and `synthesize` whether the synthesizer closes the chat.
    """

    session_id: str
    prompt: str
    provider: str
    agents_enabled: list[Role] | None = None
    max_iterations: int = 3
    temperature: float | None = None
    chat_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    workspace: Workspace | None = None
    test_command: str | None = None
    review: Verdict | None = None
    synthesize: bool = True


@dataclass
class ChatOutcome:
    """What a chat produced: every step in order, the synthesizer's answer, and this request's iterations.

    With a workspace, `workspace` is its final state and `run` the newest run of its tests.
    """

    workflow: Workflow
    steps: list[StepResult]
    final: StepResult | None
    iterations: int
    elapsed_ms: float
    workspace: Workspace | None = None
    run: Run | None = None


@dataclass
class _Stream:
    """Chunk bookkeeping of one chat: how many chunks of each step were published, from either path.

    Chunks reach the client by whichever path is first: the relay while the
    step runs, or the step's reply (which carries them all) for the rest. A
    chunk's sequence number says whether it was already published.
    """

    session_id: str
    events: EventSink
    forwarded: dict[str, int] = field(default_factory=dict)
    roles: dict[str, tuple[Role, int]] = field(default_factory=dict)

    def publish(self, step_id: str, sequence: int, text: str) -> None:
        """Publish chunk `sequence` of a step unless it was published already (announcing `working` first)."""
        role, iteration = self.roles.get(step_id, (None, 0))
        done = self.forwarded.get(step_id, 0)
        if role is None or sequence < done:
            return
        if done == 0:
            self.events.publish(
                self.session_id,
                AgentUpdate(
                    session_id=self.session_id, agent_type=role, status="working", iteration=iteration, step_id=step_id
                ),
            )
        self.events.publish(
            self.session_id, ResponseChunk(session_id=self.session_id, agent_type=role, step_id=step_id, content=text)
        )
        self.forwarded[step_id] = sequence + 1


@dataclass(frozen=True)
class _Cells:
    """What a chat's steps go through: the cells, where their events go, how long one may take, who hears of changes."""

    directory: CellDirectory
    events: EventSink
    step_timeout_s: float
    on_change: Callable[[str], None] | None


class Orchestrator:
    """Runs chats against the cells of a `CellDirectory`, publishing live events to an `EventSink`."""

    def __init__(
        self,
        directory: CellDirectory,
        events: EventSink,
        relay: NamedActor | None = None,
        step_timeout_s: float = 120.0,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._cells = _Cells(directory, events, step_timeout_s, on_change)
        self._events = events
        self._relay = relay

    async def run(self, plan: ChatPlan) -> ChatOutcome:
        """Run the chat's workflow to the synthesizer's answer; cell failures become error steps, not exceptions."""
        started = time.perf_counter()
        workflow = select(plan.prompt, plan.agents_enabled)
        relay = self._relay if self._relay is not None and self._events.listeners(plan.session_id) > 0 else None
        stream = _Stream(plan.session_id, self._events)
        consumer = asyncio.create_task(self._forward_chunks(relay, plan, stream)) if relay is not None else None
        run = _ChatRun(self._cells, plan, stream if relay is not None else None)
        try:
            final, iterations = await run.execute(workflow)
        finally:
            if relay is not None and consumer is not None:
                try:
                    await relay.handle().close.remote(plan.chat_id)
                except ray.exceptions.RayError:
                    relay.forget()  # the poller ends on its own error
                try:
                    await asyncio.wait_for(consumer, _CHUNK_GRACE_S)
                except TimeoutError:
                    consumer.cancel()
        elapsed_ms = (time.perf_counter() - started) * 1000
        return ChatOutcome(workflow, run.steps, final, iterations, elapsed_ms, run.workspace, run.latest_run)

    @staticmethod
    async def _forward_chunks(relay: NamedActor, plan: ChatPlan, stream: _Stream) -> None:
        """Long-poll the relay for this chat's chunks and publish them as they come."""
        while True:
            try:
                batch = await relay.handle().take.remote(plan.chat_id, _RELAY_POLL_S)
            except ray.exceptions.RayError as exc:
                relay.forget()  # the next chat finds the relay again, or makes it
                log.warning(
                    "chunk relay unavailable; chunks follow with each step's reply", extra={"error": type(exc).__name__}
                )
                return
            if batch is None:
                return
            for step_id, sequence, text in batch:
                stream.publish(step_id, sequence, text)


class _ChatRun:
    """The state of one chat while it runs: contributions so far, steps, the latest code and review."""

    def __init__(self, cells: _Cells, plan: ChatPlan, stream: _Stream | None) -> None:
        self.cells, self.plan, self.stream = cells, plan, stream
        self.steps: list[StepResult] = []
        self.contributions: list[Contribution] = []
        self.code_step: StepResult | None = None  # newest engineer step that produced code
        self.review: Verdict | None = plan.review
        self.reviewed_latest = True  # whether the newest code has been reviewed
        self.feedback: list[asyncio.Task[object]] = []
        self.workspace = plan.workspace
        self.latest_run: Run | None = None
        self._sequence = 0

    async def step(
        self, role: Role, iteration: int, subject: str | None = None, review: Verdict | None = None
    ) -> StepResult:
        """Send one task to a cell and turn its reply (or failure) into a step result, with events around it."""
        plan, events = self.plan, self.cells.events
        self._sequence += 1
        step_id = f"{plan.chat_id}:{self._sequence}:{role}"
        task = CellTask(
            session_id=plan.session_id,
            step_id=step_id,
            prompt=plan.prompt,
            provider=plan.provider,
            iteration=iteration,
            contributions=tuple(self.contributions),
            subject=subject,
            review=review,
            temperature=plan.temperature,
            stream_id=plan.chat_id if self.stream is not None else None,
            workspace=self.workspace,
            test_command=plan.test_command,
        )
        if self.stream is not None:
            self.stream.roles[step_id] = (role, iteration)
        events.publish(
            plan.session_id,
            AgentUpdate(
                session_id=plan.session_id, agent_type=role, status="started", iteration=iteration, step_id=step_id
            ),
        )
        result = self._result(task, role, await self._ask(role, task))
        self.steps.append(result)
        if result.run is not None:
            self._announce_run(result)
        events.publish(
            plan.session_id,
            AgentUpdate(
                session_id=plan.session_id,
                agent_type=role,
                status="error" if result.error else "done",
                iteration=iteration,
                step_id=step_id,
                detail=result.error,
            ),
        )
        if self.cells.on_change is not None:
            self.cells.on_change(plan.session_id)
        return result

    def _announce_run(self, result: StepResult) -> None:
        run = result.run
        assert run is not None
        tests = run.tests
        self.cells.events.publish(
            self.plan.session_id,
            SandboxRunEvent(
                session_id=self.plan.session_id,
                agent_type=result.role,
                step_id=result.step_id,
                iteration=result.iteration,
                command=run.command,
                exit_code=run.exit_code,
                limit=run.limit,
                passed=None if tests is None else tests.passed,
                failed=None if tests is None else tests.failing,
                duration_ms=round(run.duration_ms, 1),
            ),
        )

    async def _ask(self, role: Role, task: CellTask) -> StepResult | Failure:
        """The cell's reply to `task`, or the failure that stands for it (a timeout, a host that did not answer)."""
        timeout = self.cells.step_timeout_s
        try:
            return await asyncio.wait_for(self.cells.directory.tell(role, task.session_id, task), timeout)
        except TimeoutError:
            return Failure(task.session_id, "TimeoutError", f"no answer within {timeout} s")
        except ray.exceptions.RayError as exc:
            # Ray's text names processes, nodes and paths: it goes to the log, the caller gets what happened.
            log.warning(
                "a cell's host failed a step",
                extra={"role": role, "step_id": task.step_id, "error": type(exc).__name__, "detail": str(exc)[:2000]},
            )
            return Failure(task.session_id, "HostUnavailable", f"the {role} cell's host did not answer")

    def _result(self, task: CellTask, role: Role, reply: StepResult | Failure) -> StepResult:
        """The step's result: the cell's (its chunks published where the relay did not), or an error step."""
        if isinstance(reply, Failure):
            failure = f"{reply.error}: {reply.message}"
            return StepResult(
                step_id=task.step_id,
                role=role,
                response=f"The {role} cell failed: {failure}",
                confidence=0.0,
                provider=task.provider,
                iteration=task.iteration,
                metrics={"provider": task.provider},
                error=failure,
            )
        if self.stream is not None:
            for sequence, text in enumerate(reply.chunk_texts()):
                self.stream.publish(task.step_id, sequence, text)
        return reply

    def _absorb(self, result: StepResult) -> None:
        """Fold a finished step into what later steps build on."""
        if result.error:
            return
        self.contributions.append(
            Contribution(result.role, result.response, result.iteration, result.verdict, result.code)
        )
        if result.run is not None and (result.role == "reviewer" or result.run.tests is not None):
            self.latest_run = result.run  # the reviewer's run of the test command, or a debugger's pytest run
        if result.role == "engineer":
            if result.workspace is not None:
                self.workspace = result.workspace
            if result.code is not None:
                self.code_step = result
                self.reviewed_latest = False
        elif result.role == "reviewer" and result.verdict is not None:
            self.review = result.verdict
            self.reviewed_latest = True
            if self.code_step is not None and result.verdict.decision != "not_applicable":
                # The reviewed engineer step learns its quality from this verdict.
                self.feedback.append(
                    asyncio.create_task(
                        self.cells.directory.tell(
                            "engineer", self.plan.session_id, Feedback(self.code_step.step_id, result.verdict)
                        )
                    )
                )

    def _engineer_inputs(self) -> tuple[str | None, Verdict | None]:
        """What the engineer revises: the newest code (its own, or the user's) against the newest review."""
        if self.review is None or self.review.decision != "needs_changes":
            return None, None
        if self.workspace is not None:
            return None, self.review  # the files under revision travel as the task's workspace
        subject = self.code_step.response if self.code_step is not None else self.plan.prompt
        return subject, self.review

    def _reviewer_subject(self) -> str:
        return self.code_step.response if self.code_step is not None else self.plan.prompt

    async def _run_role(self, role: Role, iteration: int) -> StepResult:
        if role == "engineer":
            subject, review = self._engineer_inputs()
            return await self.step(role, iteration, subject, review)
        if role == "reviewer":
            return await self.step(role, iteration, self._reviewer_subject())
        return await self.step(role, iteration)

    async def execute(self, workflow: Workflow) -> tuple[StepResult | None, int]:
        """Stages in order, then the revision loop, then the synthesizer; returns its step and the iterations."""
        iteration = 1
        for stage in workflow.stages():
            results = await asyncio.gather(*(self._run_role(role, iteration) for role in stage))
            for result in results:
                self._absorb(result)
        roles = set(workflow.roles)
        if {"engineer", "reviewer"} <= roles:
            while True:
                if not self.reviewed_latest:
                    self._absorb(await self.step("reviewer", iteration, self._reviewer_subject()))
                if self.review is None or self.review.decision != "needs_changes":
                    break
                if iteration >= self.plan.max_iterations:
                    break
                iteration += 1
                subject, review = self._engineer_inputs()
                revised = await self.step("engineer", iteration, subject, review)
                self._absorb(revised)
                if revised.error or revised.code is None:
                    break  # nothing new to review: another round would repeat the same verdict
        final = await self.step("synthesizer", iteration) if self.plan.synthesize else None
        if self.feedback:
            # Feedback replies are Failure values when a rejection was recorded; nothing to act on here.
            await asyncio.gather(*self.feedback, return_exceptions=True)
        return (None if final is None or final.error else final), iteration
