"""Admitting signed agent requests: headers, clock skew, signature, replay and the per-DID rate limit.

Admission has two halves. `verify_request` checks what a `SignedRequest`
carries (timestamp, DID, signature) and needs nothing but the request, so it
can run wherever the request goes. `Admissions` checks what must be shared
(was this signature seen, does the agent still hold a token) in PostgreSQL,
so every gateway replica and every seller host enforces one limit; a whole
batch is admitted in one round trip, each request with the rules of one. A
replayed request does not spend a token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from aura import AuraError, Coalescer, Rate
from aura.settings import NegotiationSettings
from negotiation import metrics
from negotiation.identity import IdentityError, canonical_did, signing_payload, verify_signature

_PURGE_EVERY_S = 30.0
#: Unix seconds as ASCII digits in canonical form (no sign, no leading zeros). `str.isdigit` also
#: admits characters such as "¹" that `int` refuses, and a byte decoded from a header can be one.
_UNIX_SECONDS = re.compile(r"(?:0|[1-9][0-9]{0,11})")

# One round trip admits a whole batch (migration 0011).
_ADMIT = """
SELECT req, is_fresh, tokens_left, is_allowed FROM admit_requests($1::text[], $2::text[], $3, $4)
"""


class AccessDenied(AuraError):
    """A request that is not admitted: a machine-readable `code` (`missing_headers`, `clock_skew`, `bad_did`,
    `bad_signature`, `replayed`, `rate_limited`) and the headers to send with the refusal."""

    default_code = "access_denied"


@dataclass(frozen=True, slots=True)
class Ticket:
    """A request whose headers and signature checked out, still to be admitted (replay, rate limit)."""

    agent_did: str
    signature: str


@dataclass(frozen=True, slots=True)
class Admission:
    """An admitted agent and its rate-limit headers."""

    agent_did: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Limits:
    """The rules admission applies: a token bucket per DID, and how long a signature stays valid."""

    per_minute: int
    capacity: int
    clock_skew_s: int

    @classmethod
    def from_settings(cls, settings: NegotiationSettings) -> Limits:
        """The limits the settings configure."""
        return cls(settings.rate_limit_per_minute, settings.bucket_size, settings.clock_skew_s)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request's signature headers and the bytes they sign, not checked yet: what `verify_request` needs."""

    method: str
    path: str
    agent_did: str
    timestamp: str
    signature: str
    body: bytes

    @classmethod
    def from_headers(cls, method: str, path: str, headers: Mapping[str, str], body: bytes) -> SignedRequest:
        """The request's signature headers, or AccessDenied (401 missing_headers) when one is absent."""
        did, stamp, signature = headers.get("x-agent-id"), headers.get("x-timestamp"), headers.get("x-signature")
        if not did or not stamp or not signature:
            raise AccessDenied("missing_headers", "X-Agent-ID, X-Timestamp and X-Signature are required")
        return cls(method, path, did, stamp, signature, body)


def verify_request(request: SignedRequest, clock_skew_s: int) -> Ticket:
    """The request's ticket, or AccessDenied (401 clock_skew, bad_did, bad_signature); never another error.

    The ticket names the agent by its canonical DID, so one key is one agent
    whichever spelling of its DID it signs with.
    """
    stamp = request.timestamp
    if _UNIX_SECONDS.fullmatch(stamp) is None:
        raise AccessDenied("clock_skew", "X-Timestamp must be Unix seconds in ASCII digits")
    if abs(time.time() - int(stamp)) > clock_skew_s:
        raise AccessDenied("clock_skew", f"X-Timestamp is more than {clock_skew_s} s from the server clock")
    try:
        verify_signature(
            request.agent_did, request.signature, signing_payload(request.method, request.path, stamp, request.body)
        )
        agent = canonical_did(request.agent_did)
    except IdentityError as exc:
        raise AccessDenied(exc.code, str(exc)) from None
    return Ticket(agent, request.signature.lower())


class Admissions:
    """Replay and rate checks of verified tickets, against one database, under one set of limits."""

    def __init__(self, db: asyncpg.Pool, limits: Limits) -> None:
        self._db = db
        self.limits = limits
        self._rate = Rate(limits.per_minute, limits.capacity)
        self._last_purge = 0.0

    async def admit_many(self, tickets: list[Ticket]) -> list[Admission | AccessDenied]:
        """Admit a batch in one round trip: an `Admission`, or the `AccessDenied` (401 replayed, 429) per ticket."""
        await self._purge()
        rows = await self._db.fetch(
            _ADMIT,
            [t.signature for t in tickets],
            [t.agent_did for t in tickets],
            float(self._rate.capacity),
            self._rate.per_second,
        )
        found = {row["req"]: row for row in rows}
        return [self._outcome(ticket, found[i]) for i, ticket in enumerate(tickets, start=1)]

    def _outcome(self, ticket: Ticket, row: asyncpg.Record) -> Admission | AccessDenied:
        if not row["is_fresh"]:
            metrics.REFUSALS.inc(code="replayed")
            return AccessDenied("replayed", "this signature was already used")
        tokens = float(row["tokens_left"] or 0.0)
        headers = self._rate.headers(tokens)
        if not row["is_allowed"]:
            metrics.REFUSALS.inc(code="rate_limited")
            return AccessDenied(
                "rate_limited",
                f"more than {self.limits.per_minute} requests per minute",
                {"Retry-After": str(self._rate.retry_after(tokens)), **headers},
            )
        return Admission(ticket.agent_did, headers)

    async def _purge(self) -> None:
        # Signatures older than twice the skew can no longer pass the timestamp check,
        # so they need not be remembered.
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        await self._db.execute(
            "DELETE FROM agent_signatures WHERE seen_at < now() - make_interval(secs => $1)",
            float(2 * self.limits.clock_skew_s + 5),
        )


class AgentGate:
    """Admits the signed requests one process serves: tickets checked while a check is in flight go together."""

    def __init__(self, db: asyncpg.Pool, settings: NegotiationSettings) -> None:
        self.limits = Limits.from_settings(settings)
        self._admissions = Admissions(db, self.limits)
        self._checks: Coalescer[Ticket, Admission] = Coalescer(self._admissions.admit_many)

    def verify(self, request: SignedRequest) -> Ticket:
        """The request's ticket (see `verify_request`)."""
        return verify_request(request, self.limits.clock_skew_s)

    async def admit_ticket(self, ticket: Ticket) -> Admission:
        """The admitted agent, or AccessDenied (401 replayed, 429 rate_limited)."""
        return await self._checks.submit(ticket)
