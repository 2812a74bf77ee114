"""The chunk relay: what a provider yields reaches the session's events while its step still runs, once."""

from __future__ import annotations

import time
import uuid

import pytest
from pydantic import BaseModel

from lattice.directory import CellDirectory
from lattice.events import AgentUpdate, ResponseChunk
from lattice.orchestrator import ChatPlan, Orchestrator
from lattice.relay import shared_relay
from tests.lattice.paced import PAUSE_S

pytestmark = pytest.mark.usefixtures("ray_cluster")


class Recorder:
    """An event sink with one listener that keeps every event and when it was published."""

    def __init__(self) -> None:
        self.events: list[tuple[float, BaseModel]] = []

    def publish(self, session_id: str, event: BaseModel) -> None:
        self.events.append((time.monotonic(), event))

    def listeners(self, session_id: str) -> int:
        return 1


async def test_chunks_reach_the_events_while_the_step_runs_and_each_once() -> None:
    sink = Recorder()
    orchestrator = Orchestrator(CellDirectory(), sink, shared_relay())
    session_id = f"relay-{uuid.uuid4().hex[:8]}"
    # The first chat warms up: the first calls to the relay took half a second here (its process
    # and the callers' handles starting up), long enough for a step's reply to deliver the chunk first.
    for _ in range(2):
        sink.events.clear()
        outcome = await orchestrator.run(
            ChatPlan(
                session_id=session_id,
                prompt="Sketch a queue.",
                provider="tests.lattice.paced:PacedProvider",
                agents_enabled=["architect"],
            )
        )

    assert [s.role for s in outcome.steps] == ["architect", "synthesizer"]
    for step in outcome.steps:
        chunks = [(at, e) for at, e in sink.events if isinstance(e, ResponseChunk) and e.step_id == step.step_id]
        done = next(
            at
            for at, e in sink.events
            if isinstance(e, AgentUpdate) and e.step_id == step.step_id and e.status == "done"
        )
        assert "".join(e.content for _, e in chunks) == step.response == f"{step.role} starts and ends"
        # The first chunk came through the relay, before the provider's pause was over, not with the reply.
        assert done - chunks[0][0] >= PAUSE_S / 2
