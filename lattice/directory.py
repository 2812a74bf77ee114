"""Where the cells live: one dedicated Ray actor per role (`aura:cell:<role>`), addressed by session id."""

from __future__ import annotations

import asyncio
from typing import Any

import ray

from actors import HostGroup, HostSpec, Persistence, across_restarts
from lattice.messages import ROLES, Role


def cell_spec(role: Role, idle_ttl_s: float, persistence: Persistence = "write_through") -> HostSpec:
    """The host spec of one role; write-through persistence (the default) means a killed host loses no finished step."""
    from lattice.cells import CELL_CLASSES

    cls = CELL_CLASSES[role]
    return HostSpec(
        group="cell", actor_class=f"{cls.__module__}:{cls.__name__}", persistence=persistence, idle_ttl_s=idle_ttl_s
    )


class CellDirectory:
    """The six role hosts of this process's view of the cluster."""

    def __init__(self, idle_ttl_s: float = 900.0, persistence: Persistence = "write_through") -> None:
        self.groups: dict[Role, HostGroup] = {
            r: HostGroup.dedicated(cell_spec(r, idle_ttl_s, persistence), r) for r in ROLES
        }

    def handle(self, role: Role) -> ray.actor.ActorHandle:
        """The Ray handle of a role's host (created on first use)."""
        return self.groups[role].handle(0)

    async def tell(self, role: Role, session_id: str, message: Any) -> Any:
        """Deliver a message to a session's cell of `role`; the reply, or a `Failure` if the handler raised.

        Retries while the host restarts: a killed host loses only the step in flight,
        which is resent (its saved state is from before that step). `tell_many` is used
        because it hands back handler failures as values, not as wrapped Ray exceptions.
        """
        batch = [(session_id, message)]
        return (await across_restarts(lambda: self.groups[role].tell_many(batch)))[0]

    async def snapshot(self, role: Role, session_id: str) -> dict:
        """A session's cell state of `role` (memory, loop, Γ, trace)."""
        return await self.groups[role].call(0, "snapshot", session_id)

    async def snapshots(self, session_id: str) -> dict[Role, dict]:
        """Every role's cell state for a session, fetched concurrently."""
        states = await asyncio.gather(*(self.snapshot(r, session_id) for r in ROLES))
        return dict(zip(ROLES, states, strict=True))

    async def trace(self, role: Role, session_id: str) -> str:
        """A session's cell trace of `role` as JSON lines."""
        return await self.groups[role].call(0, "export_trace", session_id)

    async def deactivate(self, session_id: str) -> int:
        """Save and drop a session's cells from their hosts' memory; return how many were active.

        A host that cannot be reached holds nothing in memory to drop (it is
        restarting, or gone): it counts as none rather than failing the end.
        """
        dropped = await asyncio.gather(
            *(self.groups[r].call(0, "deactivate", [session_id], wait_s=2.0) for r in ROLES), return_exceptions=True
        )
        return sum(d for d in dropped if isinstance(d, int))

    async def alive(self, timeout_s: float = 2.0) -> dict[Role, bool]:
        """Whether each role's host answers a ping within `timeout_s`."""

        async def ping(role: Role) -> bool:
            try:
                await asyncio.wait_for(self.handle(role).ping.remote(), timeout_s)
            except TimeoutError:
                return False
            except ray.exceptions.RayError:
                self.groups[role].forget(0)  # gone for good, maybe: the next ping makes it again
                return False
            return True

        answers = await asyncio.gather(*(ping(r) for r in ROLES))
        return dict(zip(ROLES, answers, strict=True))
