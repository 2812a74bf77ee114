"""A logical actor's trace: the steps it took, exportable as JSON lines."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class TraceEvent:
    """One step: what went in, what came out, how long it took and what failed."""

    ts: float
    actor_id: str
    step: str
    inputs: Any = None
    outputs: Any = None
    duration_ms: float = 0.0
    error: str | None = None


@dataclass(slots=True)
class TraceLog:
    """The most recent `limit` events of one actor."""

    limit: int = 256
    events: deque[TraceEvent] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.events = deque(self.events, maxlen=self.limit)

    def record(self, actor_id: str, step: str, *, inputs: Any = None, outputs: Any = None,
               duration_ms: float = 0.0, error: str | None = None) -> TraceEvent:
        """Append one event, stamped now."""
        event = TraceEvent(time.time(), actor_id, step, inputs, outputs, round(duration_ms, 3), error)
        self.events.append(event)
        return event

    def to_jsonl(self) -> str:
        """The events as JSON lines, oldest first."""
        return "".join(json.dumps(asdict(e), default=str) + "\n" for e in self.events)

    def state(self) -> dict:
        """A JSON-ready snapshot."""
        return {"limit": self.limit, "events": [asdict(e) for e in self.events]}

    @classmethod
    def from_state(cls, state: dict) -> "TraceLog":
        """Rebuild a log from `state()`."""
        return cls(state["limit"], deque(TraceEvent(**e) for e in state["events"]))
