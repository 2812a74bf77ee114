"""The negotiation service's refusals: an HTTP-ready status, a machine-readable code, and headers to send."""

from __future__ import annotations


class NegotiationError(Exception):
    """A request the service refuses: HTTP `status`, machine-readable `code`, and the agent's rate-limit headers."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.headers = status, code, detail, headers

    def __reduce__(self) -> tuple:
        # Refusals made at a seller host's desk travel back to the gateway pickled, on the host's channel.
        return type(self), (self.status, self.code, self.detail, self.headers)
