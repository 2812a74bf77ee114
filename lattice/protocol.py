"""The lattice API's request and response models: what `/v1/aura/...` and its WebSocket take and give."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from aura import JSON_NUMBER, Boolean, Integer
from lattice.messages import Role
from lattice.sandbox.workspace import PATH_CHARS, PATH_PATTERN


class SessionOut(BaseModel):
    """A chat session."""

    session_id: str
    created_at: datetime
    status: Literal["active", "ended"]
    ended_at: datetime | None = None


class WorkspaceFile(BaseModel):
    """One file of a chat's workspace."""

    path: str = Field(
        min_length=1,
        max_length=PATH_CHARS,
        description="Relative to the workspace, segments joined by `/`; absolute paths and `..` are a 422.",
        json_schema_extra={"pattern": PATH_PATTERN},
    )
    content: str = Field(max_length=4_000_000)


class ChatRequest(BaseModel):
    """One chat turn: the prompt and how the cells should work on it; `files` are what it works on."""

    prompt: str = Field(min_length=1, max_length=100_000)
    session_id: str
    agents_enabled: list[Role] | None = Field(default=None, description="Overrides the keyword-selected workflow.")
    max_iterations: Integer = Field(default=3, ge=1, le=20, description="Most review/revise iterations.")
    temperature: Annotated[float, Field(ge=0.0, le=1.0), JSON_NUMBER] | None = Field(
        default=None, description="Overrides every cell's own."
    )
    quantum_enhanced: Boolean = False
    include_traces: Boolean = False
    files: list[WorkspaceFile] | None = Field(
        default=None,
        max_length=1024,
        description="Files the cells work on; the reviewer runs their tests in the sandbox. Count and total size "
        "are bounded by AURA_SANDBOX_MAX_FILES and AURA_SANDBOX_WORKSPACE_MB.",
    )
    test_command: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="How the files' tests run (a shell command line); default `python -m pytest -q` when a test "
        "file (`test_*.py`, `*_test.py`) is present.",
    )


class AutopilotRequest(BaseModel):
    """Start an AutoPilot: the lattice steps over the files until their tests pass."""

    session_id: str
    goal: str = Field(min_length=1, max_length=100_000, description="What to achieve, as for a chat prompt.")
    files: list[WorkspaceFile] = Field(default_factory=list, max_length=1024, description="As for a chat.")
    test_command: str | None = Field(
        default=None, min_length=1, max_length=1000, description="As for a chat; needed when no file is a test."
    )
    max_steps: Integer = Field(default=10, ge=1, le=50, description="Most revise-and-test steps.")
    budget_usd: Annotated[float, Field(ge=0, le=1_000_000), JSON_NUMBER] | None = Field(
        default=None, description="Stop before a step would cost more (USD)."
    )


class AutopilotStepOut(BaseModel):
    """One AutoPilot step; step 0 is the tests as given."""

    number: int
    passed: int
    failed: int
    total: int
    exit_code: int | None
    changed: list[str] = Field(description="Files the engineer changed in this step.")
    seconds: float
    first_failure: str | None


class AutopilotOut(BaseModel):
    """An AutoPilot run: its status, its steps, what it cost, and the workspace now."""

    autopilot_id: str
    session_id: str
    goal: str
    status: Literal["running", "passed", "step_limit", "budget_reached", "no_progress", "cancelled", "failed"]
    reason: str | None
    max_steps: int
    budget_usd: Decimal | None
    spent_usd: Decimal
    steps: list[AutopilotStepOut]
    files: list[WorkspaceFile]
    created_at: datetime
    updated_at: datetime


class FailureOut(BaseModel):
    """The first test that did not pass."""

    test: str
    message: str
    traceback: str


class TestsOut(BaseModel):
    """The per-test counts of a pytest run."""

    __test__ = False  # not a pytest test class

    passed: int
    failed: int
    errors: int
    total: int
    first_failure: FailureOut | None


class RunOut(BaseModel):
    """A sandboxed run: how it ended, which limit stopped it, its output (capped) and its tests."""

    command: str
    exit_code: int
    ok: bool
    limit: Literal["wall_time", "cpu_time", "memory", "processes", "file_size", "disk_space", "output"] | None
    duration_ms: float
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    tests: TestsOut | None


class AgentResponse(BaseModel):
    """One cell step's answer; `confidence` is its quality score from checkable signals."""

    agent_id: str
    agent_type: Role
    response: str
    confidence: float
    metrics: dict[str, Any]


class ConsciousnessMetrics(BaseModel):
    """Defined statistics of lattice-circuit runs (docs/definitions.md): Φ, Γ, Λ and W₂, nothing more."""

    phi: float
    gamma: float
    lambda_: float = Field(alias="lambda", serialization_alias="lambda")
    w2: float

    model_config = {"populate_by_name": True}


class ChatResponse(BaseModel):
    """The chat's final answer, every step, and this request's iteration count."""

    session_id: str
    final_response: str
    agent_responses: list[AgentResponse]
    total_iterations: int
    execution_time_ms: float
    workflow: str
    provider: str
    consciousness_metrics: ConsciousnessMetrics | None
    quantum_backend_used: str | None
    quantum_reason: str | None = None
    traces: list[dict[str, Any]] | None = None
    files: list[WorkspaceFile] | None = Field(default=None, description="The workspace as the chat left it.")
    tests: RunOut | None = Field(default=None, description="The newest run of the workspace's tests.")


class MessageOut(BaseModel):
    """One stored message."""

    message_id: int
    role: Literal["user", "assistant"]
    agent_type: str | None
    content: str
    created_at: datetime


class MessagesOut(BaseModel):
    """A page of messages, newest first; pass `next_before` as `before` for the next page."""

    session_id: str
    messages: list[MessageOut]
    has_more: bool
    next_before: int | None


class TracesOut(BaseModel):
    """Every cell's trace events for a session (also as JSON lines with `?format=jsonl`)."""

    session_id: str
    events: list[dict[str, Any]]


class CellHealth(BaseModel):
    """Whether a role's host answers."""

    role: Role
    host: str
    alive: bool


class AuraHealth(BaseModel):
    """The lattice's health: cells, provider, quantum and billing."""

    status: Literal["ok", "degraded"]
    provider: str
    cells: list[CellHealth]
    quantum_available: bool
    billing: Literal["stripe", "ledger_only"]
    sandbox: Literal["available", "unavailable"]
    sandbox_reason: str | None = Field(default=None, description="Why no sandbox can be made, when none can.")


class ClientMessage(BaseModel):
    """What a client may send."""

    type: Literal["ping", "subscribe_lattice", "unsubscribe_lattice"]
