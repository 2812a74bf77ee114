"""The lattice API's request and response models: what `/v1/aura/...` and its WebSocket take and give."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from lattice.messages import Role


class SessionOut(BaseModel):
    """A chat session."""

    session_id: str
    created_at: datetime
    status: Literal["active", "ended"]
    ended_at: datetime | None = None


class ChatRequest(BaseModel):
    """One chat turn: the prompt and how the cells should work on it."""

    prompt: str = Field(min_length=1, max_length=100_000)
    session_id: str
    agents_enabled: list[Role] | None = Field(default=None, description="Overrides the keyword-selected workflow.")
    max_iterations: int = Field(default=3, ge=1, le=20, description="Most review/revise iterations.")
    temperature: float | None = Field(default=None, ge=0.0, le=1.0, description="Overrides every cell's own.")
    quantum_enhanced: bool = False
    include_traces: bool = False


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


class ClientMessage(BaseModel):
    """What a client may send."""

    type: Literal["ping", "subscribe_lattice", "unsubscribe_lattice"]
