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


class Bouncer:
    """An intake that turns away negative numbers (answering a `PermissionError`) and doubles every reply."""

    def __init__(self) -> None:
        self.batches = 0

    async def __call__(self, messages: list[tuple[str, Any]], deliver: Any) -> list[Any]:
        self.batches += 1
        allowed = [i for i, (_, message) in enumerate(messages) if not (isinstance(message, int) and message < 0)]
        replies: list[Any] = [PermissionError(f"{messages[i][1]} is negative") for i in range(len(messages))]
        for i, reply in zip(allowed, await deliver([messages[i] for i in allowed]), strict=True):
            replies[i] = reply * 2 if isinstance(reply, int) else reply
        return replies
