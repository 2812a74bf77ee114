"""The negotiation desk: what a seller host does around its sellers' decisions.

The seller decides (the negotiator); the desk runs the protocol around it
(the mechanism). For each batch of signed bids that reaches the host it
verifies each bid's signature, admits the verified ones (replay and per-DID
rate limit, one PostgreSQL round trip for the batch), hands the admitted
bids to their sellers, and stores every decision (one more round trip)
before any answer leaves the host. The gateway thus sends one frame on the
host's channel per batch of bids and makes no database call or signature
check on the bid path, and a decision is never answered without being
stored. Nothing reaches a seller or the database that a signature check has
not passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from actors.host import Deliver, Failure
from negotiation.access import AccessDenied, Admission, Admissions, Limits, SignedRequest, Ticket, verify_request
from negotiation.records import Entry, NegotiationRecords
from negotiation.seller import Bid, SellerDecision

#: Decisions that change nothing and are not stored: the bid named no session the seller has open.
_UNRECORDED = {"session_not_found", "session_expired"}


@dataclass(frozen=True, slots=True)
class SignedBid:
    """A bid as the gateway hands it to the seller's host: its signature not yet checked, not yet admitted."""

    request: SignedRequest
    limits: Limits
    bid: Bid
    currency: str
    trace_id: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    """The desk's reply to an admitted bid: the seller's decision (stored) and the rate-limit headers."""

    decision: SellerDecision
    admission: Admission


class NegotiationDesk:
    """The intake of seller hosts (`HostSpec.intake`): verify, admit, decide, store, answer.

    A bid that is not verified or not admitted is answered with its
    `AccessDenied`, which the gateway's call raises; its seller never sees it.
    """

    def __init__(self) -> None:
        self._db: asyncpg.Pool | None = None
        self._records: NegotiationRecords | None = None
        self._admissions: dict[Limits, Admissions] = {}

    async def _database(self) -> asyncpg.Pool:
        if self._db is None:
            from aura.settings import get_settings
            from aura.store import connect_url, pool

            self._db = await pool(connect_url(get_settings()))
            self._records = NegotiationRecords(self._db)
        return self._db

    async def __call__(self, messages: list[tuple[str, Any]], deliver: Deliver) -> list[Any]:
        """Answer each signed bid: an `Answer`, an `AccessDenied`, or a `Failure` if it could not be decided or stored."""
        db = await self._database()
        bids: list[SignedBid] = [message for _, message in messages]
        replies: list[Any] = await self._admit(db, bids)
        admitted = [i for i, outcome in enumerate(replies) if isinstance(outcome, Admission)]
        decisions = await deliver([(messages[i][0], bids[i].bid) for i in admitted]) if admitted else []
        to_store: list[int] = []
        for i, decision in zip(admitted, decisions, strict=True):
            if not isinstance(decision, SellerDecision):  # the seller's handler raised: a `Failure`
                replies[i] = decision
                continue
            replies[i] = Answer(decision, replies[i])
            if decision.status not in _UNRECORDED:
                to_store.append(i)
        if to_store:
            entries = [Entry(replies[i].decision, bids[i].bid.terms.item_id, bids[i].request.agent_did,
                             bids[i].bid.amount, bids[i].currency, bids[i].trace_id) for i in to_store]
            assert self._records is not None
            for i, error in zip(to_store, await self._records.record_many(entries), strict=True):
                if error is not None:
                    replies[i] = Failure(messages[i][0], type(error).__name__, "the decision could not be stored")
        return replies

    async def _admit(self, db: asyncpg.Pool, bids: list[SignedBid]) -> list[Admission | AccessDenied]:
        outcomes: list[Admission | AccessDenied | None] = [None] * len(bids)
        # Every gateway sends its own limits; in practice one set per batch.
        verified: dict[Limits, list[tuple[int, Ticket]]] = {}
        for i, signed in enumerate(bids):
            try:
                ticket = verify_request(signed.request, signed.limits.clock_skew_s)
            except AccessDenied as denied:
                outcomes[i] = denied
            else:
                verified.setdefault(signed.limits, []).append((i, ticket))
        for limits, group in verified.items():
            admissions = self._admissions.get(limits)
            if admissions is None:
                admissions = self._admissions[limits] = Admissions(db, limits)
            admitted = await admissions.admit_many([ticket for _, ticket in group])
            for (i, _), outcome in zip(group, admitted, strict=True):
                outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]
