"""The lattice of a session: each cell's role vector, signature, position and links, and the lattice's coherence."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from lattice.cells import decoding_from, start_decoding, window_w2
from lattice.messages import ROLES, Role

log = logging.getLogger(__name__)


class RoleVector(BaseModel):
    """What a cell is in this session: its role, its share of the session's steps, its Γ-resistance and W2."""

    role: Role
    weight: float
    gamma_resistance: float
    w2: float | None


class Signature(BaseModel):
    """A cell's behavioural signature: the decoding parameters its W2 loop has tuned."""

    temperature: float
    max_tokens: int
    history_window: int


class Position(BaseModel):
    """Where a cell is drawn: five cells on a ring, the synthesizer at its centre."""

    x: float
    y: float
    z: float = 0.0


class LatticeNode(BaseModel):
    """One cell of the session's lattice."""

    agent_id: str
    agent_type: Role
    status: Literal["idle", "working", "done", "error"]
    vector: RoleVector
    signature: Signature
    position: Position
    connections: list[str]
    last_activity: datetime | None
    steps: int


class LatticeView(BaseModel):
    """The session's lattice; `lattice_coherence` = 1 − mean W2 of the active cells (null if none is active)."""

    session_id: str
    nodes: list[LatticeNode]
    active_agents: int
    total_interactions: int
    lattice_coherence: float | None
    timestamp: datetime


_RING: tuple[Role, ...] = ("architect", "research", "debugger", "engineer", "reviewer")


def _position(role: Role) -> Position:
    if role == "synthesizer":
        return Position(x=0.0, y=0.0)
    angle = 2 * math.pi * _RING.index(role) / len(_RING)
    return Position(x=round(math.cos(angle), 6), y=round(math.sin(angle), 6))


def agent_id(role: Role, session_id: str) -> str:
    """The id a cell is shown under: role and session."""
    return f"{role}:{session_id}"


def build_view(session_id: str, snapshots: dict[Role, dict], total_interactions: int) -> LatticeView:
    """The lattice of a session from its cells' snapshots."""
    steps = {r: int(((snapshots[r].get("memory") or {}).get("notes") or {}).get("steps", 0)) for r in ROLES}
    total_steps = sum(steps.values())
    nodes: list[LatticeNode] = []
    w2s: list[float] = []
    for role in ROLES:
        snapshot = snapshots[role]
        notes = (snapshot.get("memory") or {}).get("notes") or {}
        loop = snapshot.get("loop")
        resistance = snapshot.get("resistance") or {}
        w2 = window_w2(loop)
        active = steps[role] > 0
        if active and w2 is not None:
            w2s.append(w2)
        signature = decoding_from(loop["theta"]) if loop else start_decoding(role)
        last = notes.get("last_activity")
        nodes.append(
            LatticeNode(
                agent_id=agent_id(role, session_id),
                agent_type=role,
                status=notes.get("status", "idle") if active or notes.get("status") == "working" else "idle",
                vector=RoleVector(
                    role=role,
                    weight=round(steps[role] / total_steps, 4) if total_steps else 0.0,
                    gamma_resistance=round(1.0 - float(resistance.get("failure_rate", 0.0)), 4),
                    w2=None if w2 is None else round(w2, 6),
                ),
                signature=Signature(**signature.__dict__),
                position=_position(role),
                connections=[agent_id(r, session_id) for r in notes.get("inputs_from", [])],
                last_activity=datetime.fromisoformat(last) if last else None,
                steps=steps[role],
            )
        )
    coherence = round(1.0 - sum(w2s) / len(w2s), 6) if w2s else None
    return LatticeView(
        session_id=session_id,
        nodes=nodes,
        active_agents=sum(1 for r in ROLES if steps[r] > 0),
        total_interactions=total_interactions,
        lattice_coherence=coherence,
        timestamp=datetime.now(UTC),
    )


class LatticeNotifier:
    """Runs a session's lattice refresh after changes, at most one at a time, coalescing bursts.

    Called from the orchestration after every step; it never makes a step wait.
    """

    def __init__(self, refresh: Callable[[str], Awaitable[None]], wanted: Callable[[str], bool]) -> None:
        self._refresh, self._wanted = refresh, wanted
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def changed(self, session_id: str) -> None:
        """Note a change; refresh now, or once more after the refresh in flight."""
        if not self._wanted(session_id):
            return
        if session_id in self._running:
            self._again.add(session_id)
            return
        self._running[session_id] = asyncio.get_running_loop().create_task(self._run(session_id))

    async def _run(self, session_id: str) -> None:
        try:
            while True:
                self._again.discard(session_id)
                try:
                    await self._refresh(session_id)
                except Exception:  # a failed refresh must not end the notifier; the next change retries
                    log.exception("lattice refresh failed", extra={"session_id": session_id})
                if session_id not in self._again:
                    return
        finally:
            self._running.pop(session_id, None)

    async def settle(self, session_id: str) -> None:
        """Wait for a refresh in flight to finish (so a response follows its last lattice update)."""
        task = self._running.get(session_id)
        if task is not None:
            await asyncio.shield(task)
