"""The actor model: logical actors with memory, a W2 loop, Γ-resistance and traces, hosted on Ray actors."""

from actors.actor import LogicalActor
from actors.channel import HostUnreachable
from actors.host import ActorFailed, Failure, Host, HostSpec, HostStats
from actors.placement import NAMESPACE, HostGroup, across_restarts, host_index

__all__ = [
    "ActorFailed",
    "Failure",
    "Host",
    "HostGroup",
    "HostSpec",
    "HostStats",
    "HostUnreachable",
    "LogicalActor",
    "NAMESPACE",
    "across_restarts",
    "host_index",
]
