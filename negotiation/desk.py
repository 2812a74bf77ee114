"""The negotiation desk: what a seller host does around its sellers' decisions.

The seller decides (the negotiator); the desk runs the protocol around it
(the mechanism). For each batch of signed bids that reaches the host it
verifies each bid's signature, admits the verified ones (replay and per-DID
rate limit, one PostgreSQL round trip for the batch), answers resends of
bids with an `Idempotency-Key` from their stored answers, hands the rest to
their sellers, and stores every decision (one more round trip) before any
answer leaves the host. The gateway thus sends one frame on the host's
channel per batch of bids and makes no database call or signature check on
the bid path, and a decision is never answered without being stored.
Nothing reaches a seller or the database that a signature check has not
passed, and one bid's failure (a header that cannot be read, a decision
that cannot be stored) is that bid's answer alone.

A seller's memory of a session follows the stored rows (`negotiation.records`):
a session the seller does not hold is restored from them, a decision that
was not stored is forgotten, and a decision the rows had already moved past
is decided again once the seller is brought up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from actors import Deliver, Failure
from aura import Refused, Stored, fingerprint, settled
from aura.store import DATABASE_DOWN, expire_pools
from negotiation.access import AccessDenied, Admission, Admissions, Limits, SignedRequest, Ticket, verify_request
from negotiation.errors import NegotiationError
from negotiation.identity import canonical_body
from negotiation.records import Entry, NegotiationRecords, decision_from
from negotiation.seller import Bid, Forget, Restore, SellerDecision

log = logging.getLogger(__name__)

#: Decisions that change nothing and are not stored: no session the seller could open or has open.
_UNRECORDED = {"session_not_found", "session_expired", "too_many_sessions"}


@dataclass(frozen=True, slots=True)
class SignedBid:
    """A bid as the gateway hands it to the seller's host: its signature not yet checked, not yet admitted."""

    request: SignedRequest
    limits: Limits
    bid: Bid
    currency: str
    trace_id: str | None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The desk's reply to an admitted bid: the seller's decision (stored), the rate-limit headers, whether resent."""

    decision: SellerDecision
    admission: Admission
    replayed: bool = False


@dataclass
class _Bid:
    """An admitted bid on its way through the desk: its seller, the bid as the seller gets it, its key."""

    seller: str
    signed: SignedBid
    admission: Admission
    bid: Bid
    scope: str | None
    digest: str | None


def idempotency_scope(agent_did: str) -> str:
    """The scope of an agent's `Idempotency-Key`s on `/v1/negotiate`."""
    return f"negotiate:{agent_did}"


def _unavailable() -> NegotiationError:
    return NegotiationError(
        "decisions_unavailable",
        "the decision could not be stored; nothing was agreed, send the bid again",
        {"Retry-After": "1"},
    )


class NegotiationDesk:
    """The intake of seller hosts (`HostSpec.intake`): verify, admit, replay, decide, store, answer.

    A bid that is not verified or not admitted is answered with its
    `AccessDenied`, which the gateway's call raises; its seller never sees it.
    """

    def __init__(self) -> None:
        self._db: asyncpg.Pool | None = None
        self._records: NegotiationRecords | None = None
        self._admissions: dict[Limits, Admissions] = {}

    async def _database(self) -> tuple[asyncpg.Pool, NegotiationRecords]:
        if self._db is None or self._records is None:
            from aura.store import configured_pool

            self._db = await configured_pool()
            self._records = NegotiationRecords(self._db)
        return self._db, self._records

    async def __call__(self, messages: list[tuple[str, Any]], deliver: Deliver) -> list[Any]:
        """Answer each signed bid: an `Answer`, or the `AccessDenied`, `NegotiationError` or `Failure` it earns."""
        replies: list[Any] = [None] * len(messages)
        work: dict[int, _Bid] = {}
        try:
            db, records = await self._database()
            admitted = await self._admit(db, [message for _, message in messages])
            for i, outcome in enumerate(admitted):
                if isinstance(outcome, Admission):
                    work[i] = self._admitted(messages[i][0], messages[i][1], outcome)
                else:
                    replies[i] = outcome
            await self._settle(records, deliver, work, replies)
        except DATABASE_DOWN:
            log.exception("negotiation desk lost the database")
            await expire_pools()
            await self._forget(deliver, work.values())
            for i in work:
                replies[i] = _unavailable()
            for i, reply in enumerate(replies):
                if reply is None:
                    replies[i] = _unavailable()
        return replies

    @staticmethod
    def _admitted(seller: str, signed: SignedBid, admission: Admission) -> _Bid:
        # From here on the bid names its buyer by the canonical DID its signature proved.
        bid = replace(signed.bid, buyer_did=admission.agent_did)
        if signed.idempotency_key is None:
            return _Bid(seller, signed, admission, bid, None, None)
        digest = fingerprint("POST /v1/negotiate", canonical_body(signed.request.body).decode("utf-8", "replace"))
        return _Bid(seller, signed, admission, bid, idempotency_scope(admission.agent_did), digest)

    async def _settle(
        self, records: NegotiationRecords, deliver: Deliver, work: dict[int, _Bid], replies: list[Any]
    ) -> None:
        """Replay, decide and store the admitted bids; a stale decision is decided once more after a resync."""
        for attempt in range(2):
            await self._replay(records, work, replies)
            if not work:
                return
            decisions = await self._decide(records, deliver, work)
            to_store: dict[int, SellerDecision] = {}
            for i, decision in decisions.items():
                if isinstance(decision, SellerDecision) and decision.status not in _UNRECORDED:
                    to_store[i] = decision
                else:  # a `Failure` (the seller's handler raised), or nothing to store
                    replies[i] = decision if isinstance(decision, Failure) else Answer(decision, work[i].admission)
                    del work[i]
            entries = [self._entry(work[i], decision) for i, decision in to_store.items()]
            stale: list[int] = []
            for (i, decision), outcome in zip(to_store.items(), await records.record_many(entries), strict=True):
                if outcome is True:
                    replies[i] = Answer(decision, work.pop(i).admission)
                elif outcome is False:
                    stale.append(i)
                else:
                    log.error("a decision could not be stored", extra={"error": type(outcome).__name__})
                    await self._forget(deliver, [work[i]])
                    replies[i] = _unavailable()
                    del work[i]
            if stale:
                await self._forget(deliver, [work[i] for i in stale])
                if attempt == 0:
                    await self._restore(records, deliver, [work[i] for i in stale])
        for i, pending in work.items():
            replies[i] = NegotiationError(
                "session_conflict",
                "the session changed while this bid was decided; send it again",
                pending.admission.headers,
            )

    @staticmethod
    def _entry(pending: _Bid, decision: SellerDecision) -> Entry:
        return Entry(
            decision,
            pending.bid.terms.item_id,
            pending.bid.buyer_did,
            pending.bid.amount,
            pending.signed.currency,
            pending.signed.trace_id,
            pending.scope,
            pending.signed.idempotency_key,
            pending.digest,
        )

    async def _replay(self, records: NegotiationRecords, work: dict[int, _Bid], replies: list[Any]) -> None:
        """Answer bids whose key already holds an answer, and refuse keys taken by another request or still running."""
        keyed = {
            i: (p.scope, p.signed.idempotency_key)
            for i, p in work.items()
            if p.scope is not None and p.signed.idempotency_key is not None
        }
        if not keyed:
            return
        found = await records.stored_answers(list(keyed.values()))
        deciding: set[tuple[str, str]] = set()
        for i, key in keyed.items():
            pending, row = work[i], found.get(key)
            if row is None and key not in deciding:
                deciding.add(key)  # decided now; the same key again in this batch waits for its answer
                continue
            outcome = Refused("in_progress") if row is None else settled(row, pending.digest or "")
            if isinstance(outcome, Stored):
                replies[i] = Answer(decision_from(outcome.response), pending.admission, replayed=True)
            elif outcome.reason == "key_reused":
                replies[i] = NegotiationError(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for another request",
                    pending.admission.headers,
                )
            else:
                replies[i] = NegotiationError(
                    "request_in_progress",
                    "a bid with this Idempotency-Key is being decided; send it again",
                    {"Retry-After": "1"},
                )
            del work[i]

    async def _decide(
        self, records: NegotiationRecords, deliver: Deliver, work: dict[int, _Bid]
    ) -> dict[int, SellerDecision | Failure]:
        """Each bid's decision; a bid on a session its seller does not hold is decided after restoring it."""
        order = list(work)
        decisions = dict(zip(order, await deliver([(work[i].seller, work[i].bid) for i in order]), strict=True))
        missing = [
            i
            for i in order
            if isinstance(decisions[i], SellerDecision)
            and decisions[i].status == "session_not_found"
            and not work[i].bid.new_session
        ]
        if missing and await self._restore(records, deliver, [work[i] for i in missing]):
            again = await deliver([(work[i].seller, work[i].bid) for i in missing])
            decisions.update(zip(missing, again, strict=True))
        return decisions

    @staticmethod
    async def _restore(records: NegotiationRecords, deliver: Deliver, bids: list[_Bid]) -> bool:
        """Give sellers the open sessions of `bids` as the rows hold them; whether any was restored."""
        by_item: dict[str, list[_Bid]] = {}
        for pending in bids:
            by_item.setdefault(pending.bid.terms.item_id, []).append(pending)
        restores: list[tuple[str, Restore]] = []
        for item_id, group in by_item.items():
            sessions = await records.open_sessions(item_id, [p.bid.session_token for p in group])
            for pending in group:
                session = sessions.get(pending.bid.session_token)
                if session is not None and session["buyer"] == pending.bid.buyer_did:
                    restores.append((pending.seller, Restore(pending.bid.session_token, session)))
        if restores:
            await deliver(restores)
        return bool(restores)

    @staticmethod
    async def _forget(deliver: Deliver, bids: Any) -> None:
        """Sellers drop the sessions of `bids`: what they hold of them ran ahead of the rows."""
        forgets = [(p.seller, Forget(p.bid.session_token)) for p in bids]
        if forgets:
            await deliver(forgets)

    async def _admit(self, db: asyncpg.Pool, bids: list[SignedBid]) -> list[Admission | AccessDenied]:
        outcomes: list[Admission | AccessDenied | None] = [None] * len(bids)
        # Every gateway sends its own limits; in practice one set per batch.
        verified: dict[Limits, list[tuple[int, Ticket]]] = {}
        for i, signed in enumerate(bids):
            try:
                ticket = verify_request(signed.request, signed.limits.clock_skew_s)
            except AccessDenied as denied:
                outcomes[i] = denied
            except Exception:  # whatever a header holds, it fails its own bid, never the batch
                log.exception("a bid's signature headers could not be checked")
                outcomes[i] = AccessDenied("bad_signature", "the signature headers could not be read")
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
