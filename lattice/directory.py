"""Where the cells live: one dedicated Ray actor per role (`aura:cell:<role>`), addressed by session id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import ray

from actors import HostGroup, HostSpec, HostUnreachable, Persistence
from aura import RESTART_ERRORS, HostHealth
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

    def __init__(
        self, idle_ttl_s: float = 900.0, persistence: Persistence = "write_through", wait_s: float = 2.0
    ) -> None:
        self.wait_s = wait_s
        self.groups: dict[Role, HostGroup] = {
            r: HostGroup.dedicated(cell_spec(r, idle_ttl_s, persistence), r, wait_s) for r in ROLES
        }

    def handle(self, role: Role) -> ray.actor.ActorHandle:
        """The Ray handle of a role's host (created on first use)."""
        return self.groups[role].handle(0)

    async def tell(self, role: Role, session_id: str, message: Any) -> Any:
        """Deliver a message to a session's cell of `role`; the reply, or a `Failure` if the handler raised.

        `tell_many` is used because it hands back handler failures as values, not as
        wrapped Ray exceptions. A host that died with the step in flight loses only
        that step (its saved state is from before it), which `_on_host` sends again.
        """
        batch = [(session_id, message)]
        return (await self._on_host(role, lambda: self.groups[role].tell_many(batch)))[0]

    async def _on_host(self, role: Role, call: Callable[[], Awaitable[Any]]) -> Any:
        """`call` on a role's host, waiting at most `wait_s` for one found gone (then `HostUnreachable`, a 503).

        A call the host died during is sent once more when the host answers again.
        """
        if self.groups[role].hosts[0].lost:
            await self._reached(role)
        try:
            return await call()
        except RESTART_ERRORS:
            self.groups[role].forget(0)
        await self._reached(role)
        try:
            return await call()
        except RESTART_ERRORS:
            self.groups[role].forget(0)
            raise self._unreachable(role) from None

    async def _reached(self, role: Role) -> None:
        """Wait up to `wait_s` for a role's host found gone to answer again; `HostUnreachable` if it does not."""
        try:
            await asyncio.wait_for(self.groups[role].call(0, "ping", wait_s=self.wait_s), self.wait_s)
        except (TimeoutError, *RESTART_ERRORS):
            raise self._unreachable(role) from None

    @staticmethod
    def _unreachable(role: Role) -> HostUnreachable:
        return HostUnreachable(detail=f"the {role} cell's host is being brought back; send the request again")

    async def check(self, timeout_s: float) -> dict[Role, HostHealth]:
        """Probe every role's host, making again those gone for good."""
        found = await asyncio.gather(*(self.groups[r].check(timeout_s) for r in ROLES))
        return {role: health[0] for role, health in zip(ROLES, found, strict=True)}

    async def snapshot(self, role: Role, session_id: str) -> dict:
        """A session's cell state of `role` (memory, loop, Γ, trace)."""
        return await self._on_host(role, lambda: self.handle(role).snapshot.remote(session_id))

    async def snapshots(self, session_id: str) -> dict[Role, dict]:
        """Every role's cell state for a session, fetched concurrently."""
        states = await asyncio.gather(*(self.snapshot(r, session_id) for r in ROLES))
        return dict(zip(ROLES, states, strict=True))

    async def trace(self, role: Role, session_id: str) -> str:
        """A session's cell trace of `role` as JSON lines."""
        return await self._on_host(role, lambda: self.handle(role).export_trace.remote(session_id))

    async def deactivate(self, session_id: str) -> int:
        """Save and drop a session's cells from their hosts' memory; return how many were active.

        A host that cannot be reached holds nothing in memory to drop (it is
        restarting, or gone): it counts as none rather than failing the end.
        """
        dropped = await asyncio.gather(
            *(self.groups[r].call(0, "deactivate", [session_id], wait_s=self.wait_s) for r in ROLES),
            return_exceptions=True,
        )
        return sum(d for d in dropped if isinstance(d, int))

    async def alive(self, timeout_s: float = 2.0) -> dict[Role, bool]:
        """Whether each role's host answers within `timeout_s` (starting those not running, or gone for good)."""
        return {role: health.state == "alive" for role, health in (await self.check(timeout_s)).items()}
