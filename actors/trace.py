"""A logical actor's trace: the steps it took, exportable as JSON lines."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
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

    def as_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict.

        Written out field by field: `dataclasses.asdict` deep-copies inputs and outputs,
        which made every snapshot of a long trace cost milliseconds.
        """
        return {
            "ts": self.ts,
            "actor_id": self.actor_id,
            "step": self.step,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


@dataclass(slots=True)
class TraceLog:
    """The most recent `limit` events of one actor.

    `appended` counts every event ever recorded (at least as many as `events`
    holds), so persistence can write only the events added since its last save.
    """

    limit: int = 256
    events: deque[TraceEvent] = field(default_factory=deque)
    appended: int = 0

    def __post_init__(self) -> None:
        self.events = deque(self.events, maxlen=self.limit)
        self.appended = max(self.appended, len(self.events))

    def record(
        self,
        actor_id: str,
        step: str,
        *,
        inputs: Any = None,
        outputs: Any = None,
        duration_ms: float = 0.0,
        error: str | None = None,
    ) -> TraceEvent:
        """Append one event, stamped now."""
        event = TraceEvent(time.time(), actor_id, step, inputs, outputs, round(duration_ms, 3), error)
        self.events.append(event)
        self.appended += 1
        return event

    def to_jsonl(self) -> str:
        """The events as JSON lines, oldest first."""
        return "".join(json.dumps(e.as_dict(), default=str) + "\n" for e in self.events)

    def state(self) -> dict:
        """A JSON-ready snapshot."""
        return {"limit": self.limit, "events": [e.as_dict() for e in self.events], "appended": self.appended}

    @classmethod
    def from_state(cls, state: dict) -> TraceLog:
        """Rebuild a log from `state()`."""
        return cls(state["limit"], deque(TraceEvent(**e) for e in state["events"]), state.get("appended", 0))
