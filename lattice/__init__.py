"""The cognitive lattice: six cells that cooperate on a coding task, each a logical actor on Ray.

`LatticeService` is the way in (sessions, chats, traces, health); `events`
names what the WebSocket streams and `protocol` the HTTP models, which
`deployments.lattice` serves. The cells, their roles and the orchestration
live in `cells`, `workflow` and `orchestrator`; `providers` are the models
the cells can ask, `analysis` the local checks the offline one runs, and
`sandbox` where the code the cells write or receive is run and tested.
"""

from typing import TYPE_CHECKING

from aura import lazy_surface

if TYPE_CHECKING:
    from lattice.directory import CellDirectory
    from lattice.events import (
        AgentUpdate,
        AutopilotEvent,
        Connected,
        ErrorEvent,
        Event,
        LatticeUpdate,
        Pong,
        QuantumMetricsEvent,
        ResponseChunk,
        SandboxRunEvent,
        SessionBus,
        SessionClosed,
        Subscription,
    )
    from lattice.messages import ROLES
    from lattice.protocol import (
        AgentResponse,
        AuraHealth,
        AutopilotOut,
        AutopilotRequest,
        AutopilotStepOut,
        CellHealth,
        ChatRequest,
        ChatResponse,
        ClientMessage,
        ConsciousnessMetrics,
        MessageOut,
        MessagesOut,
        RunOut,
        SessionOut,
        TracesOut,
        WorkspaceFile,
    )
    from lattice.relay import shared_relay
    from lattice.retention import sweep_ended_sessions
    from lattice.service import ChatResult, LatticeService
    from lattice.sessions import Session, SessionEnded, SessionNotFound, TooManySessions
    from lattice.topology import LatticeView, agent_id

__all__ = [
    "AgentResponse",
    "AgentUpdate",
    "AuraHealth",
    "AutopilotEvent",
    "AutopilotOut",
    "AutopilotRequest",
    "AutopilotStepOut",
    "CellDirectory",
    "CellHealth",
    "ChatRequest",
    "ChatResponse",
    "ChatResult",
    "ClientMessage",
    "Connected",
    "ConsciousnessMetrics",
    "ErrorEvent",
    "Event",
    "LatticeService",
    "LatticeUpdate",
    "LatticeView",
    "MessageOut",
    "MessagesOut",
    "Pong",
    "QuantumMetricsEvent",
    "ROLES",
    "ResponseChunk",
    "RunOut",
    "SandboxRunEvent",
    "Session",
    "SessionBus",
    "SessionClosed",
    "SessionEnded",
    "SessionNotFound",
    "SessionOut",
    "Subscription",
    "TooManySessions",
    "TracesOut",
    "WorkspaceFile",
    "agent_id",
    "shared_relay",
    "sweep_ended_sessions",
]

__getattr__, __dir__ = lazy_surface(__name__)
