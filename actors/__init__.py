"""The actor model: logical actors with memory, a W2 loop, Γ-resistance and traces, hosted on Ray actors."""

from typing import TYPE_CHECKING

from aura import lazy_surface

if TYPE_CHECKING:
    from actors.actor import LogicalActor
    from actors.channel import HostUnreachable
    from actors.host import ActorFailed, Deliver, Failure, Host, HostSpec, HostStats, Persistence
    from actors.loop import W2Loop, step_rows
    from actors.placement import HostGroup, host_index
    from actors.w2 import w2_rows_to_points, wasserstein2

__all__ = [
    "ActorFailed",
    "Deliver",
    "Failure",
    "Host",
    "HostGroup",
    "HostSpec",
    "HostStats",
    "HostUnreachable",
    "LogicalActor",
    "Persistence",
    "W2Loop",
    "host_index",
    "step_rows",
    "w2_rows_to_points",
    "wasserstein2",
]

__getattr__, __dir__ = lazy_surface(__name__)
