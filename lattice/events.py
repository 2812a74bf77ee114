"""Live events of a session and the in-process bus that fans them out to WebSocket connections.

Publishing never waits: each connection has a bounded queue, and a
connection whose queue is full is marked overflowed and cut off by its
sender, so a slow client can never stall an orchestration.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from lattice.messages import Role


def _now() -> datetime:
    return datetime.now(UTC)


class Connected(BaseModel):
    """First event on a connection."""

    type: Literal["connected"] = "connected"
    session_id: str
    user_id: str
    timestamp: datetime = Field(default_factory=_now)


class AgentUpdate(BaseModel):
    """A cell's step changed state."""

    type: Literal["agent_update"] = "agent_update"
    session_id: str
    agent_type: Role
    status: Literal["started", "working", "done", "error"]
    iteration: int
    step_id: str
    detail: str | None = None
    timestamp: datetime = Field(default_factory=_now)


class ResponseChunk(BaseModel):
    """Text a cell's provider streamed."""

    type: Literal["response_chunk"] = "response_chunk"
    session_id: str
    agent_type: Role
    step_id: str
    content: str


class SandboxRunEvent(BaseModel):
    """A cell ran the chat's workspace in the sandbox (the reviewer its tests, the debugger the failure)."""

    type: Literal["sandbox_run"] = "sandbox_run"
    session_id: str
    agent_type: Role
    step_id: str
    iteration: int
    command: str
    exit_code: int
    limit: str | None
    passed: int | None
    failed: int | None
    duration_ms: float


class AutopilotEvent(BaseModel):
    """An AutoPilot run finished a step, or stopped: its status, steps taken, the tests after the last one."""

    type: Literal["autopilot"] = "autopilot"
    session_id: str
    autopilot_id: str
    status: str
    step: int
    passed: int | None
    failed: int | None
    total: int | None
    spent_usd: float
    reason: str | None = None


class LatticeUpdate(BaseModel):
    """The lattice after a change (sent to connections that subscribed)."""

    type: Literal["lattice_update"] = "lattice_update"
    session_id: str
    lattice: dict[str, Any]


class QuantumMetricsEvent(BaseModel):
    """Quantum metrics of a chat that were not ready within the response's budget."""

    type: Literal["quantum_metrics"] = "quantum_metrics"
    session_id: str
    chat_id: str
    consciousness_metrics: dict[str, float] | None
    quantum_backend_used: str | None
    reason: str | None = None


class Pong(BaseModel):
    """Answer to a client's ping."""

    type: Literal["pong"] = "pong"
    timestamp: datetime = Field(default_factory=_now)


class ErrorEvent(BaseModel):
    """Something the client should know went wrong."""

    type: Literal["error"] = "error"
    code: str
    detail: str


class SessionClosed(BaseModel):
    """The last event of a connection: its session ended, or its token expired."""

    type: Literal["closed"] = "closed"
    session_id: str
    reason: Literal["session_ended", "token_expired"]


Event = (
    Connected
    | AgentUpdate
    | ResponseChunk
    | SandboxRunEvent
    | AutopilotEvent
    | LatticeUpdate
    | QuantumMetricsEvent
    | Pong
    | ErrorEvent
    | SessionClosed
)


@dataclass(eq=False)
class Subscription:
    """One connection's view of a session: its queue, whether it wants lattice updates, whether it fell behind."""

    session_id: str
    queue: asyncio.Queue[BaseModel]
    lattice: bool = False
    overflowed: bool = False
    dropped: int = 0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    closing: SessionClosed | None = None

    def close(self, event: SessionClosed) -> None:
        """End the connection after what is queued, with `event` as its last word (however full the queue)."""
        if self.closing is None:
            self.closing = event
            self.wakeup.set()

    def offer(self, event: BaseModel) -> None:
        """Queue `event` without waiting; a full queue marks the connection overflowed."""
        if self.overflowed:
            self.dropped += 1
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.dropped += 1
            self.wakeup.set()


class SessionBus:
    """Fan-out of session events to the connections of this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, session_id: str, queue_size: int) -> Subscription:
        """A new connection's subscription to a session's events."""
        subscription = Subscription(session_id, asyncio.Queue(maxsize=queue_size))
        self._subscribers[session_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a closed connection."""
        found = self._subscribers.get(subscription.session_id)
        if found is not None:
            found.discard(subscription)
            if not found:
                del self._subscribers[subscription.session_id]

    def close_session(self, session_id: str) -> None:
        """End every connection of a session that ended."""
        for subscription in tuple(self._subscribers.get(session_id, ())):
            subscription.close(SessionClosed(session_id=session_id, reason="session_ended"))

    def publish(self, session_id: str, event: BaseModel) -> None:
        """Offer `event` to every connection of the session (lattice updates only to those that asked)."""
        lattice_only = isinstance(event, LatticeUpdate)
        for subscription in tuple(self._subscribers.get(session_id, ())):
            if not lattice_only or subscription.lattice:
                subscription.offer(event)

    def watching_lattice(self, session_id: str) -> bool:
        """Whether any connection of the session subscribed to lattice updates."""
        return any(s.lattice for s in self._subscribers.get(session_id, ()))

    def listeners(self, session_id: str) -> int:
        """How many connections follow the session."""
        return len(self._subscribers.get(session_id, ()))
