"""The six cells: logical actors that run one role's step for a session, stream it, and learn from its quality.

Each role is its own `LogicalActor` subclass (its own `kind`), hosted on a
dedicated Ray actor `aura:cell:<role>`; the logical actor id is the session
id, so a session's cell of a role has its own memory, W2 loop and trace.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np

from actors import LogicalActor, W2Loop, wasserstein2
from aura import AuraError
from aura.settings import get_settings
from lattice.analysis.code import code_blocks, python_code
from lattice.messages import CellTask, Feedback, Role, StepResult
from lattice.metrics import CELL_STEP_SECONDS, CELL_STEPS, CELL_TOKENS, PROVIDER_ERRORS
from lattice.providers import Completion, ProviderRequest, Turn, get_provider
from lattice.quality import review_score, step_score
from lattice.relay import ChunkPublisher, shared_relay
from lattice.sandbox import Run, SandboxUnavailable, Workspace, command_for, shared_sandbox
from lattice.sandbox.edits import apply_answer, file_under_revision
from lattice.verdict import Verdict, by_tests, combine, model_verdict, static_verdict, workspace_verdict

#: θ = (temperature, max tokens, history window): bounds and step sizes the W2 loop moves within.
LOWER = (0.0, 256.0, 2.0)
UPPER = (1.0, 8192.0, 32.0)
STEP = (0.1, 512.0, 2.0)
_START_TEMPERATURE: dict[Role, float] = {
    "architect": 0.5,
    "engineer": 0.2,
    "reviewer": 0.0,
    "debugger": 0.2,
    "research": 0.3,
    "synthesizer": 0.3,
}
_MEMORY_CHARS = 4000
#: Roles that run the chat's workspace before they answer: the reviewer its tests, the debugger its failure.
_RUNNERS: tuple[Role, ...] = ("reviewer", "debugger")


@dataclass(frozen=True)
class Judged:
    """What can be checked in a step's answer: the reviewer's verdict, the engineer's code and the files it wrote."""

    verdict: Verdict | None = None
    code: str | None = None
    workspace: Workspace | None = None
    not_written: tuple[str, ...] = ()  # the engineer's blocks the workspace did not take, and why


async def execute(role: Role, task: CellTask) -> tuple[Run | None, str | None]:
    """Run the task's workspace in the sandbox: its tests (or, for the debugger, its only program), or say why
    it could not run."""
    workspace = task.workspace
    if workspace is None or not workspace.files:
        return None, None
    command = command_for(workspace, task.test_command)
    if command is None and role == "debugger" and len(workspace.sources()) == 1:
        command = f"python {workspace.sources()[0]}"  # a program without tests: its run is the reproduction
    if command is None:
        return None, None
    try:
        return await shared_sandbox().run(workspace, command), None
    except SandboxUnavailable as error:
        return None, f"the sandbox is unavailable: {error.detail}"


@dataclass
class Streamed:
    """What a provider's stream gave one step: its chunks, how it ended, how long it took, what failed."""

    parts: list[str]
    completion: Completion
    latency_ms: float
    first_chunk_ms: float | None
    error: Exception | None


async def _stream(provider_name: str, request: ProviderRequest, publisher: ChunkPublisher | None) -> Streamed:
    """Stream one step's answer from its provider, handing each chunk to the relay as it comes."""
    completion, parts = Completion(), []
    started = time.perf_counter()
    first_chunk_ms: float | None = None
    error: Exception | None = None
    try:
        async for chunk in get_provider(provider_name).stream(request, completion):
            if first_chunk_ms is None:
                first_chunk_ms = (time.perf_counter() - started) * 1000
            parts.append(chunk)
            if publisher is not None:
                publisher.add(chunk)
    except Exception as exc:  # any provider failure is this step's outcome, recorded by the cell
        error = exc
    return Streamed(parts, completion, (time.perf_counter() - started) * 1000, first_chunk_ms, error)


class StepFailed(AuraError):
    """The provider failed this step (the host counts it against the cell's Γ-resistance)."""

    default_code = "step_failed"


class OutputRejected(AuraError):
    """The reviewer rejected this cell's output: a failed operation for Γ-resistance, by definition."""

    default_code = "output_rejected"


@dataclass(frozen=True)
class Decoding:
    """A cell's behavioural signature: the decoding parameters its W2 loop tunes."""

    temperature: float
    max_tokens: int
    history_window: int


def window_w2(loop_state: dict | None) -> float | None:
    """W2 between a loop's recent outcome scores and its target (None before any outcome)."""
    if not loop_state or not loop_state.get("window"):
        return None
    return wasserstein2(
        np.asarray(loop_state["window"]),
        np.asarray(loop_state["target_values"]),
        None,
        None if loop_state.get("target_weights") is None else np.asarray(loop_state["target_weights"]),
    )


def decoding_from(theta: list[float] | np.ndarray) -> Decoding:
    """θ as the decoding parameters a provider gets (token counts and windows are whole numbers)."""
    return Decoding(round(float(theta[0]), 3), int(round(theta[1])), int(round(theta[2])))


def start_decoding(role: Role) -> Decoding:
    """The decoding parameters a role's cell starts from, before its W2 loop has moved them."""
    return Decoding(_START_TEMPERATURE[role], 2048, 8)


class Cell(LogicalActor):
    """One role's cell for one session; subclasses only name the role."""

    __slots__ = ()
    role: ClassVar[Role]
    memory_window = 40
    trace_limit = 512

    def new_loop(self) -> W2Loop:
        """Outcome target: all mass at 1 (every step fully checkable-good); 5 outcomes per step of θ."""
        start = start_decoding(self.role)
        theta = np.array([start.temperature, start.max_tokens, start.history_window], dtype=np.float64)
        return W2Loop(
            theta=theta, lower=np.array(LOWER), upper=np.array(UPPER), step=np.array(STEP), every=5, window_size=20
        )

    @property
    def decoding(self) -> Decoding:
        """The current decoding parameters."""
        assert self.loop is not None  # every cell has a loop (new_loop)
        return decoding_from(self.loop.theta)

    def describe(self, value: Any) -> Any:
        """Trace entries: the parts of tasks and results a reader needs, not whole prompts."""
        if isinstance(value, CellTask):
            return {
                "step_id": value.step_id,
                "iteration": value.iteration,
                "provider": value.provider,
                "prompt": value.prompt[:200],
                "builds_on": [c.role for c in value.contributions],
                "revising": value.review is not None,
                "temperature": value.temperature,
            }
        if isinstance(value, StepResult):
            return {
                "step_id": value.step_id,
                "confidence": value.confidence,
                "chunks": value.chunks,
                "chars": len(value.response),
                "verdict": value.verdict.decision if value.verdict else None,
                "run": None if value.run is None else _run_summary(value.run),
                "workspace_files": None if value.workspace is None else len(value.workspace.files),
                "latency_ms": value.metrics.get("latency_ms"),
                "stop_reason": value.metrics.get("stop_reason"),
            }
        if isinstance(value, Feedback):
            return {
                "step_id": value.step_id,
                "verdict": value.verdict.decision,
                "findings": len(value.verdict.findings),
            }
        return super().describe(value)

    async def receive(self, message: CellTask | Feedback) -> StepResult | float | None:
        """Run a step, or take the reviewer's feedback on an earlier one."""
        if isinstance(message, CellTask):
            return await self._step(message)
        if isinstance(message, Feedback):
            return self._feedback(message)
        raise TypeError(f"a cell does not handle {type(message).__name__}")

    def _note(self, status: str, **extra: Any) -> None:
        notes = self.memory.notes
        notes["status"] = status
        notes["last_activity"] = datetime.now(UTC).isoformat()
        notes.update(extra)

    async def _step(self, task: CellTask) -> StepResult:
        decoding = self.decoding
        temperature = task.temperature if task.temperature is not None else decoding.temperature
        history = tuple(Turn(t["role"], t["content"]) for t in list(self.memory.recent)[-decoding.history_window :])
        run, problem = await execute(self.role, task) if self.role in _RUNNERS else (None, None)
        request = ProviderRequest(self.role, task, history, temperature, decoding.max_tokens, run, problem)
        self._note("working")
        publisher = None if task.stream_id is None else ChunkPublisher(shared_relay(), task.stream_id, task.step_id)
        streamed = await _stream(task.provider, request, publisher)
        text = "".join(streamed.parts)
        score = step_score(text, streamed.completion, streamed.error is not None)
        self.record_outcome(score.value)
        inputs = sorted({c.role for c in task.contributions} | set(self.memory.notes.get("inputs_from", [])))
        steps = int(self.memory.notes.get("steps", 0)) + 1
        self._count(task.provider, streamed)
        if streamed.error is not None:
            failure = f"{type(streamed.error).__name__}: {streamed.error}"
            self._note("error", steps=steps, inputs_from=inputs, last_error=failure[:500])
            raise StepFailed(detail=failure)
        judged = self._judge(task, text, run)
        verdict = judged.verdict
        self._remember(task, text)
        self._note(
            "done",
            steps=steps,
            inputs_from=inputs,
            last_step_id=task.step_id,
            last_verdict=None if verdict is None else verdict.decision,
        )
        if publisher is not None:
            publisher.settle()
        metrics = self._metrics(request, decoding.history_window, streamed, score.signals, publisher)
        if judged.not_written:
            metrics["blocks_not_written"] = list(judged.not_written)
        return StepResult(
            step_id=task.step_id,
            role=self.role,
            response=text,
            confidence=score.value,
            provider=task.provider,
            iteration=task.iteration,
            metrics=metrics,
            verdict=verdict,
            code=judged.code,
            chunks=len(streamed.parts),
            chunk_sizes=[len(part) for part in streamed.parts],
            workspace=judged.workspace,
            run=run,
        )

    def _count(self, provider: str, streamed: Streamed) -> None:
        """A step in the application metrics (Prometheus), beside its trace."""
        CELL_STEPS.inc(role=self.role, status="error" if streamed.error is not None else "done")
        CELL_STEP_SECONDS.observe(streamed.latency_ms / 1000, role=self.role)
        if streamed.error is not None:
            PROVIDER_ERRORS.inc(provider=provider)
        CELL_TOKENS.inc(streamed.completion.input_tokens or 0, role=self.role, direction="input")
        CELL_TOKENS.inc(streamed.completion.output_tokens or 0, role=self.role, direction="output")

    def _metrics(
        self,
        request: ProviderRequest,
        history_window: int,
        streamed: Streamed,
        signals: dict[str, Any],
        publisher: ChunkPublisher | None,
    ) -> dict[str, Any]:
        """A step's metrics for its trace and the live view: decoding, timing, tokens, resistance, W2.

        The decoding is the one the step ran with: recording its outcome may already have moved the loop.
        """
        loop = self.loop
        completion = streamed.completion
        return {
            "provider": request.task.provider,
            "model": completion.model,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "history_window": history_window,
            "latency_ms": round(streamed.latency_ms, 3),
            "first_chunk_ms": None if streamed.first_chunk_ms is None else round(streamed.first_chunk_ms, 3),
            "chunks": len(streamed.parts),
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "gamma_resistance": round(self.resistance.value, 4),
            "w2": window_w2(loop.state() if loop else None),
            "signals": signals,
            "stream": None if publisher is None else (publisher.failed or "ok"),
            "notes": completion.notes,
        }

    def _judge(self, task: CellTask, text: str, run: Run | None) -> Judged:
        """What a step's answer says that can be checked: the reviewer's verdict, the engineer's code and files.

        With a workspace, the reviewer's verdict comes from the tests it ran
        beside the static checks of every file, and the engineer's blocks that
        name files (or an unnamed one, for the file under revision) are written.
        """
        workspace = task.workspace
        if self.role == "reviewer":
            if workspace is not None and workspace.files:
                verdict = combine(workspace_verdict(workspace), model_verdict(text))
                return Judged(verdict=by_tests(verdict, run) if run is not None else verdict)
            subject = task.subject if task.subject is not None else task.prompt
            return Judged(verdict=combine(static_verdict(python_code(subject)), model_verdict(text)))
        if self.role != "engineer":
            return Judged()
        # Without files, blocks that name one start a workspace: the code the engineer writes gets run too.
        base = workspace if workspace is not None else Workspace.within(get_settings().sandbox)
        report = task.review.run.tests if task.review is not None and task.review.run is not None else None
        edit = apply_answer(base, text, file_under_revision(base, report))
        if edit.changed:
            code = "\n".join(edit.workspace.files[p] for p in edit.changed if p.endswith(".py")) or None
            return Judged(code=code, workspace=edit.workspace, not_written=tuple(edit.skipped))
        if base.files:
            return Judged(not_written=tuple(edit.skipped))
        blocks = [b.code for b in code_blocks(text) if b.is_python]
        return Judged(code="\n".join(blocks) if blocks else None)

    def _remember(self, task: CellTask, text: str) -> None:
        """The step's request and answer in the cell's short-term window."""
        # Revision steps repeat the request; the window keeps it once per answer that follows it.
        user_turn = {"role": "user", "content": task.prompt[:_MEMORY_CHARS]}
        if list(self.memory.recent)[-2:-1] != [user_turn]:
            self.memory.remember(user_turn)
        self.memory.remember({"role": "assistant", "content": text[:_MEMORY_CHARS]})

    def _feedback(self, feedback: Feedback) -> float | None:
        score = review_score(feedback.verdict)
        if score is None:
            return None
        self.record_outcome(score)
        self.memory.notes["last_review"] = feedback.verdict.decision
        if feedback.verdict.decision == "needs_changes":
            raise OutputRejected(detail=f"step {feedback.step_id}: {len(feedback.verdict.findings)} findings")
        return score


def _run_summary(run: Run) -> dict[str, Any]:
    """A run as a trace keeps it: how it ended and its counts, not its output."""
    tests = run.tests
    return {
        "command": run.command,
        "exit_code": run.exit_code,
        "limit": run.limit,
        "duration_ms": round(run.duration_ms, 1),
        "passed": None if tests is None else tests.passed,
        "failed": None if tests is None else tests.failing,
    }


class ArchitectCell(Cell):
    """Decomposes the request."""

    __slots__ = ()
    kind = "cell:architect"
    role = "architect"


class EngineerCell(Cell):
    """Writes and revises code."""

    __slots__ = ()
    kind = "cell:engineer"
    role = "engineer"


class ReviewerCell(Cell):
    """Reviews code and gives the structured verdict."""

    __slots__ = ()
    kind = "cell:reviewer"
    role = "reviewer"


class DebuggerCell(Cell):
    """Reads errors and tracebacks."""

    __slots__ = ()
    kind = "cell:debugger"
    role = "debugger"


class ResearchCell(Cell):
    """Finds documentation."""

    __slots__ = ()
    kind = "cell:research"
    role = "research"


class SynthesizerCell(Cell):
    """Merges the others into the final answer."""

    __slots__ = ()
    kind = "cell:synthesizer"
    role = "synthesizer"


CELL_CLASSES: dict[Role, type[Cell]] = {
    c.role: c for c in (ArchitectCell, EngineerCell, ReviewerCell, DebuggerCell, ResearchCell, SynthesizerCell)
}
