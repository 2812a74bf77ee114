"""A logical actor's memory: a bounded short-term window and long-term key/values."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Memory:
    """Recent items (oldest dropped past `window`) and durable notes by key; both JSON-ready.

    `appended` counts every item ever remembered (at least as many as `recent`
    holds), so persistence can write only the items added since its last save.
    """

    window: int = 32
    recent: deque[Any] = field(default_factory=deque)
    notes: dict[str, Any] = field(default_factory=dict)
    appended: int = 0

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("window must be at least 1")
        self.recent = deque(self.recent, maxlen=self.window)
        self.appended = max(self.appended, len(self.recent))

    def remember(self, item: Any) -> None:
        """Add an item to the short-term window."""
        self.recent.append(item)
        self.appended += 1

    def state(self) -> dict:
        """A JSON-ready snapshot."""
        return {"window": self.window, "recent": list(self.recent), "notes": self.notes, "appended": self.appended}
