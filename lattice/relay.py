"""The chunk relay: provider chunks from cell hosts to the orchestrator while a step is still running.

A cell host replies to a step only when it is finished, so streamed text
needs a side channel. The relay is one small Ray actor (`aura:lattice:relay`)
holding a buffer per chat: cells publish into it, the orchestrator long-polls
it. Streaming is best-effort by design: the step's reply carries the whole
answer, so a lost relay costs the live view, never the result.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from typing import cast

import ray
from ray.actor import ActorHandle

from aura import NAMESPACE, NamedActor

RELAY_NAME = "aura:lattice:relay"
_ABANDONED_S = 600.0


@dataclass
class _Stream:
    chunks: deque[tuple[str, int, str]] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    touched: float = field(default_factory=time.monotonic)


class ChunkRelay:
    """Per-chat buffers of (step id, sequence number, text); a Ray actor."""

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}

    def _stream(self, stream_id: str) -> _Stream:
        found = self._streams.get(stream_id)
        if found is None:
            found = self._streams[stream_id] = _Stream()
            self._expire()
        found.touched = time.monotonic()
        return found

    def _expire(self) -> None:
        # Streams whose orchestrator vanished (a killed gateway) would otherwise stay forever.
        cutoff = time.monotonic() - _ABANDONED_S
        for stream_id in [s for s, v in self._streams.items() if v.touched < cutoff]:
            del self._streams[stream_id]

    async def ping(self) -> str:
        """Answer at once (a supervisor's check)."""
        return RELAY_NAME

    async def publish(self, stream_id: str, chunks: list[tuple[str, int, str]]) -> None:
        """Append chunks (step id, sequence, text) to a chat's buffer."""
        stream = self._stream(stream_id)
        stream.chunks.extend(chunks)
        stream.ready.set()

    async def take(self, stream_id: str, wait_s: float) -> list[tuple[str, int, str]] | None:
        """Everything buffered, waiting up to `wait_s` for something; None once the chat is closed and drained."""
        stream = self._stream(stream_id)
        if not stream.chunks and not stream.closed:
            try:
                await asyncio.wait_for(stream.ready.wait(), wait_s)
            except TimeoutError:
                return []
        taken = list(stream.chunks)
        stream.chunks.clear()
        stream.ready.clear()
        if not taken and stream.closed:
            del self._streams[stream_id]
            return None
        return taken

    async def close(self, stream_id: str) -> None:
        """Mark a chat finished: `take` returns what is left, then None."""
        stream = self._stream(stream_id)
        stream.closed = True
        stream.ready.set()


def _find_or_make() -> ActorHandle:
    return cast(  # Ray types a created actor as the handle or the class; it is the handle
        ActorHandle,
        ray.remote(ChunkRelay)
        .options(
            name=RELAY_NAME,
            namespace=NAMESPACE,
            get_if_exists=True,
            lifetime="detached",
            max_restarts=-1,
            num_cpus=0,
            max_concurrency=1000,
        )
        .remote(),
    )


@cache
def shared_relay() -> NamedActor:
    """This process's handle on the cluster's relay: created by whoever needs it first, made again if gone."""
    return NamedActor(RELAY_NAME, "relay", _find_or_make)


#: Senders still running after their step replied; a task only weakly referenced could be collected.
_sending: set[asyncio.Task[None]] = set()


class ChunkPublisher:
    """A cell step's sender to the relay: one call in flight at a time, chunks that arrive meanwhile batched.

    One call in flight keeps the order without waiting on every chunk; the
    first chunk leaves at once, so batching adds no latency to it. The step
    does not wait for the relay before replying: the reply carries every chunk,
    and the orchestrator publishes whatever the relay has not delivered yet, so
    chunks still queued when the step succeeds are left to the reply (`settle`).
    """

    def __init__(self, relay: NamedActor, stream_id: str, step_id: str) -> None:
        self._relay, self._stream_id, self._step_id = relay, stream_id, step_id
        self._pending: list[tuple[str, int, str]] = []
        self._sequence = 0
        self._sender: asyncio.Task[None] | None = None
        self.failed: str | None = None

    def add(self, text: str) -> None:
        """Queue one chunk for the relay."""
        self._pending.append((self._step_id, self._sequence, text))
        self._sequence += 1
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send())
            _sending.add(self._sender)
            self._sender.add_done_callback(_sending.discard)

    def settle(self) -> None:
        """The step succeeded: drop the chunks not handed to the relay yet, its reply carries them.

        A provider that yields faster than the event loop turns (or the last chunks of
        any answer) would otherwise cost Ray calls to the relay for text the reply
        delivers anyway, competing for the CPU with the step's own save and reply.
        """
        self._pending.clear()

    async def _send(self) -> None:
        while self._pending and self.failed is None:
            batch, self._pending = self._pending, []
            try:
                await self._relay.handle().publish.remote(self._stream_id, batch)
            except ray.exceptions.RayError as exc:
                self._relay.forget()  # the next step's publisher finds the relay again, or makes it
                # The answer still reaches the caller in the step's reply; only the live view is lost.
                self.failed = f"{type(exc).__name__}"
