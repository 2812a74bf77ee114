"""The negotiation service: search, bids routed to seller actors, deals; what the HTTP routes call.

It knows nothing of HTTP routing: failures are `NegotiationError`s (and the
access module's `AccessDenied`) with a status and a machine-readable code,
which the gateway turns into error answers.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import cast

import asyncpg

from actors import HostGroup, HostSpec, HostUnreachable
from aura import excerpt, stage
from aura.settings import NegotiationSettings, SupervisionSettings, get_settings
from negotiation import metrics
from negotiation.access import Admission, AgentGate, SignedRequest
from negotiation.catalog import Catalog, ItemTerms
from negotiation.currency import is_currency
from negotiation.desk import Answer, SignedBid
from negotiation.embedding import embedder_from_settings
from negotiation.errors import NegotiationError
from negotiation.identity import IdentityError, canonical_did
from negotiation.protocol import (
    AcceptedData,
    ActionRequired,
    CounteredData,
    Deal,
    DealsPage,
    NegotiateRequest,
    NegotiateResponse,
    NegotiationStatus,
    RejectedData,
    SearchRequest,
    SearchResponse,
)
from negotiation.records import NegotiationRecords
from negotiation.seller import Bid, SellerDecision, session_token

__all__ = ["NegotiationError", "NegotiationService", "seller_group"]


def seller_group(
    settings: NegotiationSettings,
    group: str = "seller",
    env: dict[str, str] | None = None,
    supervision: SupervisionSettings | None = None,
) -> HostGroup:
    """The sharded group of Ray actors hosting the sellers, placed by item id, with the desk as their intake.

    `env` adds environment variables to the hosts' processes (their own settings, such as a Mistral key).
    A bid whose host is gone waits `supervision.host_wait_s` for it before it is refused with a 503.
    """
    # Seller decisions take microseconds, so concurrent bids to one host share a batch on its channel.
    return HostGroup.sharded(
        HostSpec(
            group=group,
            actor_class="negotiation.seller:Seller",
            size=settings.seller_hosts,
            idle_ttl_s=600.0,
            intake="negotiation.desk:NegotiationDesk",
            env=env or {},
        ),
        coalesce=True,
        wait_s=(supervision or get_settings().supervision).host_wait_s,
    )


def _same_agent(claimed: str, signer: str) -> bool:
    """Whether a body's `agent_did` names the signing key, in whichever spelling."""
    try:
        return canonical_did(claimed) == canonical_did(signer)
    except IdentityError:
        return False


def utc_datetime(epoch: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC)


class NegotiationService:
    """Catalog search, negotiation and deals over one database and one seller group.

    Requests that never reach a seller (search, deals, bids refused here) are
    verified and admitted through `gate`; a bid is verified and admitted by the
    desk of its seller's host.
    """

    def __init__(
        self,
        db: asyncpg.Pool,
        settings: NegotiationSettings,
        sellers: HostGroup | None = None,
        supervision: SupervisionSettings | None = None,
    ) -> None:
        self.settings = settings
        self.supervision = supervision or get_settings().supervision
        self.gate = AgentGate(db, settings)
        self.catalog = Catalog(
            db,
            embedder_from_settings(settings),
            default_confirm_threshold=settings.confirm_threshold,
            cache_s=settings.item_cache_s,
        )
        self.records = NegotiationRecords(db)
        self.sellers = sellers or seller_group(settings, supervision=self.supervision)

    async def search(self, request: SearchRequest) -> SearchResponse:
        """Active items closest to the query."""
        return SearchResponse(results=await self.catalog.search(request.query, request.limit, request.min_similarity))

    async def _refuse(self, signed: SignedRequest, code: str, detail: str) -> NegotiationError:
        # A bid refused before any seller sees it is still a request: it is verified and admitted
        # here first, so a forger, a replay or a rate-limited agent hears that rather than the refusal.
        admission = await self.gate.admit_ticket(self.gate.verify(signed))
        return NegotiationError(code, detail, admission.headers)

    async def negotiate(
        self, signed: SignedRequest, request: NegotiateRequest, trace_id: str | None, idempotency_key: str | None = None
    ) -> tuple[NegotiateResponse, Admission]:
        """Send one signed bid to the item's seller; its desk verifies and admits it and stores the decision.

        A resend with the same `idempotency_key` gets the first answer and decides nothing again.
        Raises `AccessDenied` (not verified or not admitted) or `NegotiationError` (refused).
        """
        terms, currency = await self._checked(signed, request)
        bid = self._bid(signed.agent_did, request, terms)
        with stage("seller"):
            signed_bid = SignedBid(signed, self.gate.limits, bid, currency, trace_id, idempotency_key)
            try:
                answer: Answer = await asyncio.wait_for(
                    self.sellers.tell(terms.item_id, signed_bid), self.supervision.host_call_timeout_s
                )
            except HostUnreachable:
                # The seller's host stopped with this bid in flight, or is gone and being made again.
                raise NegotiationError(
                    "seller_unavailable", "the item's seller is restarting; send the bid again", {"Retry-After": "1"}
                ) from None
            except TimeoutError:
                # The host took the bid but did not answer in time; with an Idempotency-Key a resend
                # gets whatever it decided, never a second decision.
                raise NegotiationError(
                    "seller_unavailable",
                    f"the item's seller did not answer within {self.supervision.host_call_timeout_s:g} s; "
                    "send the bid again with the same Idempotency-Key",
                    {"Retry-After": "1"},
                ) from None
        refusal = _refusal(answer.decision, answer.admission)
        if refusal is not None:
            raise refusal
        _count(answer.decision)
        return answer_of(answer.decision, terms, bid, currency), answer.admission

    async def _checked(self, signed: SignedRequest, request: NegotiateRequest) -> tuple[ItemTerms, str]:
        """The item's terms and the bid's currency, once the bid names its signer, a known item and its currency."""
        if request.agent_did is not None and not _same_agent(request.agent_did, signed.agent_did):
            raise await self._refuse(signed, "agent_mismatch", "agent_did must be the signing agent (X-Agent-ID)")
        currency = request.currency.upper()
        if not is_currency(currency):
            raise await self._refuse(
                signed, "unknown_currency", f"{excerpt(request.currency)!r} is not an ISO 4217 currency"
            )
        terms = await self.catalog.terms(request.item_id)
        if terms is None:
            raise await self._refuse(signed, "unknown_item", f"no active item {excerpt(request.item_id)!r}")
        if currency != terms.currency:
            raise await self._refuse(signed, "currency_mismatch", f"this item is priced in {terms.currency}")
        return terms, currency

    def _bid(self, buyer_did: str, request: NegotiateRequest, terms: ItemTerms) -> Bid:
        """The message for the seller: the bid with the session it continues (or a new one) and the limits."""
        return Bid(
            session_token=request.session_token or session_token(),
            new_session=request.session_token is None,
            buyer_did=buyer_did,
            terms=terms,
            amount=float(request.bid_amount),
            confirmed=request.confirmed,
            now=time.time(),
            session_ttl_s=self.settings.session_ttl_s,
            max_rounds=self.settings.max_rounds,
            target_score=self.settings.seller_target_score,
            max_open_sessions=self.settings.max_open_sessions,
            max_buyer_sessions=self.settings.max_buyer_sessions,
        )

    async def deal(self, deal_id: str, buyer_did: str) -> Deal:
        """The deal if this buyer made it; 404 for unknown and foreign deals alike."""
        found = await self.records.deal(deal_id, buyer_did)
        if found is None:
            raise NegotiationError("deal_not_found", "no such deal for this agent")
        return found

    async def deals(self, buyer_did: str, limit: int, before: datetime | None) -> DealsPage:
        """A page of this buyer's deals, newest first."""
        found = await self.records.deals(buyer_did, limit + 1, before)
        page = found[:limit]
        return DealsPage(deals=page, next_before=page[-1].created_at if len(found) > limit else None)


def _count(decision: SellerDecision) -> None:
    metrics.BIDS.inc(status=decision.status)
    if decision.deal_id is not None:
        metrics.DEALS.inc()
    for correction in decision.corrections:
        metrics.CORRECTIONS.inc(correction=correction)
    if decision.fallback is not None:
        metrics.FALLBACKS.inc(reason=decision.fallback)


def _refusal(decision: SellerDecision, admission: Admission) -> NegotiationError | None:
    """The error a decision that did not move its session stands for (404, 410, 429), or None."""
    if decision.status == "session_not_found":
        return NegotiationError(
            "session_not_found", "no open session with this token for this item and agent", admission.headers
        )
    if decision.status == "session_expired":
        ended = utc_datetime(decision.valid_until).isoformat()
        return NegotiationError("session_expired", f"the session ended at {ended}", admission.headers)
    if decision.status == "too_many_sessions":
        return NegotiationError(
            "too_many_sessions",
            "this item's seller holds as many open sessions as it "
            "may (for this agent, or in all); continue one or wait for some to end",
            {"Retry-After": "30", **admission.headers},
        )
    return None


#: The decisions the API answers as such; the others are refusals (404, 410, 429).
_ANSWERED = frozenset({"accepted", "countered", "rejected", "ui_required"})


def answer_of(decision: SellerDecision, terms: ItemTerms, bid: Bid, currency: str) -> NegotiateResponse:
    """The API's answer to a bid whose decision opened or moved its session (accepted, countered, rejected,
    ui_required)."""
    if decision.status not in _ANSWERED:
        raise ValueError(f"a {decision.status} decision has no answer of its own")
    # The decision's token, not the bid's: a resent first bid gets the session its first sending opened.
    response = NegotiateResponse(
        session_token=decision.session_token,
        status=cast(NegotiationStatus, decision.status),
        valid_until=utc_datetime(decision.valid_until),
    )
    if decision.status == "accepted":
        assert decision.price is not None and decision.deal_id and decision.reservation_code
        response.data = AcceptedData(
            final_price=decision.price, reservation_code=decision.reservation_code, deal_id=decision.deal_id
        )
    elif decision.status == "countered":
        assert decision.price is not None
        response.data = CounteredData(
            proposed_price=decision.price, message=decision.message, reason_code=decision.reason_code
        )
    elif decision.status == "rejected":
        response.data = RejectedData(reason_code=decision.reason_code)
    else:
        response.action_required = ActionRequired(
            context={
                "item_id": terms.item_id,
                "item_name": terms.name,
                "bid_amount": bid.amount,
                "currency": currency,
                "resend_with": {"session_token": decision.session_token, "confirmed": True},
            }
        )
    return response
