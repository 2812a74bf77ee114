"""The logical actor: an id with memory, a W2 loop, Γ-resistance and a trace, one message at a time.

Subclasses implement `receive` (plain or `async`). Everything else is created
on first use, so an actor that has only been activated costs a few hundred
bytes: a host can hold a hundred thousand of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from actors.loop import W2Loop
from actors.memory import Memory
from actors.resistance import GammaResistance
from actors.trace import TraceLog


class LogicalActor:
    """Base class of every logical actor (a cell, a seller, a buyer...)."""

    __slots__ = ("actor_id", "last_active", "_memory", "_loop", "_resistance", "_trace")

    #: Stable name of the actor type; saved states are keyed by (kind, id).
    kind: ClassVar[str] = "actor"
    #: Whether the host records a trace event for every message.
    traced: ClassVar[bool] = True
    memory_window: ClassVar[int] = 32
    trace_limit: ClassVar[int] = 256
    resistance_alpha: ClassVar[float] = 0.1

    def __init__(self, actor_id: str) -> None:
        self.actor_id = actor_id
        self.last_active = 0.0
        self._memory: Memory | None = None
        self._loop: W2Loop | None = None
        self._resistance: GammaResistance | None = None
        self._trace: TraceLog | None = None

    def receive(self, message: Any) -> Any:
        """Handle one message and return the reply; may be a coroutine function in subclasses."""
        raise NotImplementedError(f"{type(self).__name__} does not handle messages")

    def new_loop(self) -> W2Loop | None:
        """The W2 loop this actor starts with, or None if it has no tunable parameters."""
        return None

    def describe(self, value: Any) -> Any:
        """What of a message or reply goes into the trace; override to leave out secrets."""
        text = repr(value)
        return text if len(text) <= 200 else text[:197] + "..."

    @property
    def memory(self) -> Memory:
        """Short-term window and long-term notes."""
        if self._memory is None:
            self._memory = Memory(self.memory_window)
        return self._memory

    @property
    def loop(self) -> W2Loop | None:
        """The W2 loop, created by `new_loop` on first use."""
        if self._loop is None:
            self._loop = self.new_loop()
        return self._loop

    @property
    def resistance(self) -> GammaResistance:
        """Γ-resistance over this actor's operations."""
        if self._resistance is None:
            self._resistance = GammaResistance(self.resistance_alpha)
        return self._resistance

    @property
    def trace(self) -> TraceLog:
        """The recent steps of this actor."""
        if self._trace is None:
            self._trace = TraceLog(self.trace_limit)
        return self._trace

    def record_outcome(self, score: float) -> float | None:
        """Feed one outcome score in [0, 1] to the W2 loop; return the W2 if the loop stepped."""
        loop = self.loop
        if loop is None:
            return None
        w2 = loop.record(score)
        if w2 is not None and self.traced:
            self.trace.record(
                self.actor_id,
                "w2_step",
                inputs={"window": len(loop.window)},
                outputs={"w2": w2, "theta": loop.theta.tolist()},
            )
        return w2

    def save_state(self) -> dict:
        """The subclass's own fields, JSON-ready; saved beside memory, loop, Γ and trace."""
        return {}

    def load_state(self, state: dict) -> None:
        """Restore what `save_state` returned."""

    def snapshot(self) -> dict:
        """Everything needed to bring this actor back after its host dies, JSON-ready."""
        return {
            "memory": None if self._memory is None else self._memory.state(),
            "loop": None if self._loop is None else self._loop.state(),
            "resistance": None if self._resistance is None else self._resistance.state(),
            "trace": None if self._trace is None else self._trace.state(),
            "own": self.save_state(),
        }

    @classmethod
    def restore(cls, actor_id: str, snapshot: dict) -> LogicalActor:
        """An actor rebuilt from `snapshot()`."""
        actor = cls(actor_id)
        if snapshot.get("memory") is not None:
            actor._memory = Memory(**snapshot["memory"])
        if snapshot.get("loop") is not None:
            actor._loop = W2Loop.from_state(snapshot["loop"])
        # Snapshots saved before Γ-resistance had its own name call it "gamma".
        resistance = snapshot.get("resistance", snapshot.get("gamma"))
        if resistance is not None:
            actor._resistance = GammaResistance(**resistance)
        if snapshot.get("trace") is not None:
            actor._trace = TraceLog.from_state(snapshot["trace"])
        actor.load_state(snapshot.get("own") or {})
        return actor
