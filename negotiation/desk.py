"""The negotiation desk: what a seller host does around its sellers' decisions.

The seller decides (the negotiator); the desk runs the protocol around it
(the mechanism). For each batch of signed bids that reaches the host it
admits the bids (replay and per-DID rate limit, one PostgreSQL round trip
for the batch), hands the admitted bids to their sellers, and stores every
decision (one more round trip) before any answer leaves the host. The
gateway thus makes one Ray call per batch of bids and no database call on
the bid path, and a decision is never answered without being stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from actors.host import Deliver, Failure
from negotiation.access import AccessDenied, Admission, Admissions, Limits, Ticket
from negotiation.records import Entry, NegotiationRecords
from negotiation.seller import Bid, SellerDecision

#: Decisions that change nothing and are not stored: the bid named no session the seller has open.
_UNRECORDED = {"session_not_found", "session_expired"}


@dataclass(frozen=True, slots=True)
class SignedBid:
    """A bid as the gateway hands it to the seller's host: verified, not yet admitted."""

    ticket: Ticket
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
    """The intake of seller hosts (`HostSpec.intake`): admit, decide, store, answer.

    A bid that is not admitted is answered with its `AccessDenied`, which the
    gateway's call raises; its seller never sees it.
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
            entries = [Entry(replies[i].decision, bids[i].bid.terms.item_id, bids[i].ticket.agent_did,
                             bids[i].bid.amount, bids[i].currency, bids[i].trace_id) for i in to_store]
            assert self._records is not None
            for i, error in zip(to_store, await self._records.record_many(entries), strict=True):
                if error is not None:
                    replies[i] = Failure(messages[i][0], type(error).__name__, "the decision could not be stored")
        return replies

    async def _admit(self, db: asyncpg.Pool, bids: list[SignedBid]) -> list[Admission | AccessDenied]:
        # Every gateway sends its own limits; in practice one set per batch.
        outcomes: list[Admission | AccessDenied | None] = [None] * len(bids)
        by_limits: dict[Limits, list[int]] = {}
        for i, signed in enumerate(bids):
            by_limits.setdefault(signed.limits, []).append(i)
        for limits, positions in by_limits.items():
            admissions = self._admissions.get(limits)
            if admissions is None:
                admissions = self._admissions[limits] = Admissions(db, limits)
            for i, outcome in zip(positions, await admissions.admit_many([bids[i].ticket for i in positions])):
                outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]
