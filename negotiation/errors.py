"""The negotiation service's refusals: a machine-readable code, a detail, and headers for the answer."""

from __future__ import annotations

from aura import AuraError


class NegotiationError(AuraError):
    """A request the service refuses: a machine-readable `code`, and the agent's rate-limit headers."""

    default_code = "negotiation_refused"
