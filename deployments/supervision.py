"""The gateway's supervisor: every kind of Aura host checked, those gone for good made again, and what health says.

Ray restarts a host while its restarts last; one gone for good (restarts
used up, killed, its node lost) is made again by the next call that finds
it dead, and by this supervisor's periodic check when no call comes. The
kinds it watches: the seller hosts, the six cell hosts, the quantum pool's
workers, the chunk relay, and the Stripe sync when billing is on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field

from actors import HostGroup
from aura import HostHealth, HostState, billing_sync
from aura.settings import Settings, get_settings
from deployments.replica import Replica
from lattice import CellDirectory, shared_relay
from negotiation import seller_group
from quantum import PoolConfig, check_pool

log = logging.getLogger(__name__)

#: Worst first: a group is in the worst state of its hosts (`idle` ones, not made yet, count only when all are).
_SEVERITY: tuple[HostState, ...] = ("dead", "re-creating", "starting", "alive", "idle")


class GroupHealth(BaseModel):
    """One kind of host as the last check found it."""

    state: HostState = Field(
        description=(
            "`alive`: every host answered. `idle`: nothing has needed these hosts yet, so none was made. "
            "`starting`: a host is being created for the first time. "
            "`re-creating`: a host was found gone and is coming back; its requests get 503 meanwhile. "
            "`dead`: a host could not be made."
        )
    )
    alive: int
    total: int
    down: list[str] = Field(default_factory=list, description="The hosts not answering, with why.")

    @property
    def failing(self) -> bool:
        """Whether requests that need this kind of host fail now."""
        return self.state in ("re-creating", "dead")


def _group_health(found: list[HostHealth]) -> GroupHealth:
    states = {h.state for h in found}
    state = next(s for s in _SEVERITY if s in states)
    down = [f"{h.name}: {h.state} ({h.error})" for h in found if h.state not in ("alive", "idle")]
    return GroupHealth(state=state, alive=sum(h.state == "alive" for h in found), total=len(found), down=down)


class Supervisor:
    """Checks every kind of host this replica uses, through the same handles its requests use where they exist."""

    def __init__(self, replica: Replica, settings: Settings | None = None) -> None:
        self.replica = replica
        self.settings = settings or get_settings()
        self._cells: CellDirectory | None = None
        self._sellers: HostGroup | None = None

    def _checks(self, timeout_s: float) -> dict[str, Callable[[], Awaitable[list[HostHealth]]]]:
        negotiation = self.replica.built("negotiation")
        sellers = negotiation.sellers if negotiation is not None else self._own_sellers()
        lattice = self.replica.built("lattice")
        cells = lattice.directory if lattice is not None else self._own_cells()

        async def cell_hosts() -> list[HostHealth]:
            return list((await cells.check(timeout_s)).values())

        async def relay() -> list[HostHealth]:
            return [await shared_relay().check(timeout_s)]

        checks: dict[str, Callable[[], Awaitable[list[HostHealth]]]] = {
            "seller": lambda: sellers.check(timeout_s),
            "cell": cell_hosts,
            "quantum": lambda: check_pool(PoolConfig(), timeout_s),
            "relay": relay,
        }
        if self.settings.billing.stripe_secret_key is not None:

            async def billing() -> list[HostHealth]:
                return [await billing_sync().check(timeout_s)]

            checks["billing"] = billing
        return checks

    def _own_sellers(self) -> HostGroup:
        if self._sellers is None:
            self._sellers = seller_group(self.settings.negotiation, supervision=self.settings.supervision)
        return self._sellers

    def _own_cells(self) -> CellDirectory:
        if self._cells is None:
            lattice = self.settings.lattice
            self._cells = CellDirectory(
                lattice.cell_idle_ttl_s, lattice.cell_persistence, self.settings.supervision.host_wait_s
            )
        return self._cells

    async def check(self, timeout_s: float = 2.0) -> dict[str, GroupHealth]:
        """Probe every host of every kind at once (making again those gone for good); each kind's health."""
        checks = self._checks(timeout_s)
        found = await asyncio.gather(*(check() for check in checks.values()))
        return {kind: _group_health(hosts) for kind, hosts in zip(checks, found, strict=True)}

    async def run(self) -> None:
        """Check every `supervise_every_s` until cancelled; a failed check is logged and the next one tries again."""
        every_s = self.settings.supervision.supervise_every_s
        while True:
            try:
                groups = await self.check(min(every_s, 2.0))
            except Exception:  # Ray itself gone for a moment: the next round tries again
                log.exception("supervision check failed")
            else:
                for kind, health in groups.items():
                    if health.failing:
                        log.warning("hosts not answering", extra={"group": kind, "down": health.down})
            await asyncio.sleep(every_s)


def supervisor(replica: Replica) -> Supervisor:
    """The replica's supervisor (made on first use)."""
    found = replica.built("supervisor")
    if found is None:
        found = Supervisor(replica)
        replica.provide("supervisor", found)
    return found
