"""Small logical actors the host tests send messages to (imported by Ray workers by module path)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from actors import LogicalActor


class Counter(LogicalActor):
    """Adds numbers; `"fail"` raises; `"whoami"` answers the host process's pid."""

    kind = "test_counter"

    def __init__(self, actor_id: str) -> None:
        super().__init__(actor_id)
        self.total = 0

    def receive(self, message: Any) -> Any:
        if message == "fail":
            raise ValueError("asked to fail")
        if message == "whoami":
            import os

            return os.getpid()
        self.total += int(message)
        self.memory.remember(message)
        return self.total

    def save_state(self) -> dict:
        return {"total": self.total}

    def load_state(self, state: dict) -> None:
        self.total = state.get("total", 0)


class Sleeper(LogicalActor):
    """Sleeps for the given seconds and answers when, in host time, it started and ended."""

    kind = "test_sleeper"

    async def receive(self, message: float) -> tuple[float, float]:
        started = time.monotonic()
        await asyncio.sleep(message)
        return started, time.monotonic()
