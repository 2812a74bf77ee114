"""The seller: one logical actor per catalog item, holding that item's open sessions with buyers.

Every bid goes through the same steps: find (or open) the buyer's session,
ask for confirmation above the item's threshold, let the item's strategy
propose (`rule`, `concession`, or `llm` with `concession` as its fallback),
pass the proposal through the guard rails, and close the session on a deal
or a rejection. The seller's W2 loop tunes its concession exponent toward
its target outcome; the floor price never enters its trace. Each session
concedes along its own private curve (`negotiation.curve`).

The sessions the seller holds are a cache of the stored negotiations: the
desk stores every decision, tells the seller to `Forget` a session whose
decision could not be stored (or was already superseded), and `Restore`s a
session from its stored rows when the seller does not hold it.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from actors import LogicalActor, W2Loop
from negotiation.catalog import ItemTerms
from negotiation.curve import curve_secret, session_curve
from negotiation.guard import Guarded, Proposal, enforce
from negotiation.llm import LlmFailure, llm_config, llm_proposal, negotiation_document
from negotiation.policy import (
    STYLE_CODES,
    concession_offer,
    concession_proposal,
    needs_confirmation,
    round_time,
    rule_proposal,
)
from negotiation.strategies import exponent_from_theta, exponent_loop

Status = Literal[
    "accepted", "countered", "rejected", "ui_required", "session_not_found", "session_expired", "too_many_sessions"
]

_ACTION_STATUS: dict[str, Status] = {"accept": "accepted", "counter": "countered", "reject": "rejected"}
_PURGE_EVERY_S = 5.0
#: Finished negotiations between two steps of a seller's W2 loop.
_LOOP_EVERY = 10


@dataclass(frozen=True, slots=True)
class Bid:
    """One buyer bid for the item's seller, with the item terms and the session rules in force."""

    session_token: str
    new_session: bool
    buyer_did: str
    terms: ItemTerms
    amount: float
    confirmed: bool
    now: float
    session_ttl_s: float
    max_rounds: int
    target_score: float
    max_open_sessions: int = 2000
    max_buyer_sessions: int = 20


@dataclass(frozen=True, slots=True)
class RoundPrices:
    """Where a session's private curve stands in one round: its time, whether it is the last, its prices."""

    round: int
    t: float
    final: bool
    curve_end: float
    safe_counter: float
    offer: float


@dataclass(frozen=True, slots=True)
class Forget:
    """Drop a session from memory without scoring it: its newest decision was not stored."""

    session_token: str


@dataclass(frozen=True, slots=True)
class Restore:
    """Hold a session as its stored rows say it stands (buyer, deadline, rounds, bids, counters)."""

    session_token: str
    session: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SellerDecision:
    """The seller's answer to one bid, already through the guard rails."""

    status: Status
    session_token: str
    valid_until: float
    round: int = 0
    price: float | None = None
    message: str = ""
    reason_code: str = ""
    deal_id: str | None = None
    reservation_code: str | None = None
    strategy: str = ""
    fallback: str | None = None
    corrections: list[str] = field(default_factory=list)


def _reservation_code() -> str:
    return "AUR-" + secrets.token_hex(4).upper()


class Seller(LogicalActor):
    """Negotiates one catalog item with any number of buyers, one bid at a time."""

    __slots__ = ("_style", "_last_purge")
    kind = "seller"
    #: Every decision is stored in the offers table; the trace needs only the recent steps, and a
    #: short one keeps the snapshot a busy seller writes every flush small.
    trace_limit = 64

    def __init__(self, actor_id: str) -> None:
        super().__init__(actor_id)
        self._style = "boulware"
        self._last_purge = 0.0

    # -- state -----------------------------------------------------------------------------

    @property
    def sessions(self) -> dict[str, dict[str, Any]]:
        """Open sessions by token: buyer, deadline, rounds, bids and counters."""
        return self.memory.notes.setdefault("sessions", {})

    def _count(self, name: str, by: int = 1) -> None:
        counters = self.memory.notes.setdefault("counters", {})
        counters[name] = counters.get(name, 0) + by

    def new_loop(self) -> W2Loop | None:
        """A W2 loop over log(exponent), bounded by the item's concession style, aiming at the target score."""
        arrays = exponent_loop(np.array([STYLE_CODES[self._style]]))
        # The window holds only the outcomes since the last step, so each W2 measures the current exponent
        # and the sign-based step compares like with like.
        return W2Loop(
            theta=arrays["theta"][0],
            lower=arrays["lower"][0],
            upper=arrays["upper"][0],
            step=arrays["step"][0],
            min_step=arrays["min_step"][0],
            every=_LOOP_EVERY,
            window_size=_LOOP_EVERY,
            target_values=np.array([self.memory.notes.get("target_score", 0.5)]),
        )

    def exponent(self) -> float:
        """The concession exponent the W2 loop has reached."""
        loop = self.loop
        assert loop is not None
        return float(exponent_from_theta(loop.theta[0]))

    def save_state(self) -> dict:
        """The concession style the loop was built for."""
        return {"style": self._style}

    def load_state(self, state: dict) -> None:
        """Restore the concession style."""
        self._style = state.get("style", "boulware")

    def describe(self, value: Any) -> Any:
        """Trace entries without the item terms: the floor price must never reach a trace."""
        if isinstance(value, Bid):
            return {
                "session": value.session_token[:8],
                "bid": value.amount,
                "confirmed": value.confirmed,
                "strategy": value.terms.strategy,
            }
        if isinstance(value, SellerDecision):
            return {
                "status": value.status,
                "round": value.round,
                "price": value.price,
                "reason_code": value.reason_code,
                "fallback": value.fallback,
                "corrections": value.corrections,
            }
        if isinstance(value, Forget | Restore):
            return {type(value).__name__.lower(): value.session_token[:8]}
        return type(value).__name__

    # -- sessions --------------------------------------------------------------------------

    def _adopt(self, bid: Bid) -> None:
        if bid.terms.concession != self._style:
            self._style = bid.terms.concession
            self._loop = None  # another style has other exponent bounds: start a loop for it
        self.memory.notes["target_score"] = bid.target_score

    def _close(self, token: str, score: float) -> None:
        self.sessions.pop(token, None)
        self.record_outcome(min(1.0, max(0.0, score)))

    def _purge_expired(self, now: float) -> None:
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        for token in [t for t, s in self.sessions.items() if s["valid_until"] < now]:
            self._count("expired")
            self._close(token, 0.0)

    def _room_for(self, buyer: str, bid: Bid) -> bool:
        """Whether a new session fits under the item's and the buyer's caps (expired ones purged first)."""
        if len(self.sessions) >= bid.max_open_sessions:
            self._last_purge = 0.0
            self._purge_expired(bid.now)
            if len(self.sessions) >= bid.max_open_sessions:
                return False
        held = sum(1 for session in self.sessions.values() if session["buyer"] == buyer)
        return held < bid.max_buyer_sessions

    # -- messages --------------------------------------------------------------------------

    async def receive(self, message: Bid | Forget | Restore) -> SellerDecision | None:
        """Answer one bid (see the module docstring for the steps), or forget or restore a session."""
        if isinstance(message, Forget):
            self.sessions.pop(message.session_token, None)
            return None
        if isinstance(message, Restore):
            self.sessions[message.session_token] = message.session
            return None
        return await self.decide(message)

    async def decide(self, bid: Bid) -> SellerDecision:
        """The seller's decision on one bid (the steps of the module docstring)."""
        self._adopt(bid)
        self._purge_expired(bid.now)
        session = self._session(bid)
        if isinstance(session, SellerDecision):
            return session
        if not bid.confirmed and needs_confirmation(bid.terms, bid.amount):
            return SellerDecision(
                "ui_required",
                bid.session_token,
                session["valid_until"],
                session["rounds"],
                strategy=bid.terms.strategy,
            )
        session["rounds"] += 1
        prices = self._round_prices(bid, session["rounds"])
        proposal, fallback = await self._propose(bid, session, prices)
        guarded = enforce(
            proposal,
            floor_price=bid.terms.floor_price,
            base_price=bid.terms.base_price,
            bid=bid.amount,
            final_round=prices.final,
            safe_counter=prices.safe_counter,
            item_name=bid.terms.name,
            currency=bid.terms.currency,
        )
        if guarded.corrections:
            self._count("guard_corrections", len(guarded.corrections))
        return self._settle(bid, session, prices, guarded, fallback)

    def _session(self, bid: Bid) -> dict[str, Any] | SellerDecision:
        """The bid's session (opened for a first bid), or the decision that there is none to bid in."""
        session = self.sessions.get(bid.session_token)
        if bid.new_session:
            if not self._room_for(bid.buyer_did, bid):
                self._count("session_cap")
                return SellerDecision("too_many_sessions", bid.session_token, 0.0)
            session = {
                "buyer": bid.buyer_did,
                "valid_until": bid.now + bid.session_ttl_s,
                "rounds": 0,
                "bids": [],
                "counters": [],
            }
            self.sessions[bid.session_token] = session
            return session
        if session is None or session["buyer"] != bid.buyer_did:
            return SellerDecision("session_not_found", bid.session_token, 0.0)
        if session["valid_until"] < bid.now:
            self._count("expired")
            self._close(bid.session_token, 0.0)
            return SellerDecision("session_expired", bid.session_token, session["valid_until"])
        return session

    def _round_prices(self, bid: Bid, round_number: int) -> RoundPrices:
        """Where the session's private curve stands in this round."""
        terms = bid.terms
        t = round_time(round_number, bid.max_rounds)
        curve = session_curve(curve_secret(), bid.session_token)
        curve_end = curve.reservation(terms.floor_price, terms.base_price)
        exponent = self.exponent() * curve.exponent_factor
        safe_counter = concession_offer(terms, min(t, 1.0 - 1e-9), exponent, curve_end)
        # Before the last round the curve's price now is the safe counter itself.
        offer = safe_counter if t < 1.0 else concession_offer(terms, t, exponent, curve_end)
        return RoundPrices(round_number, t, round_number >= bid.max_rounds, curve_end, safe_counter, offer)

    async def _propose(self, bid: Bid, session: dict[str, Any], prices: RoundPrices) -> tuple[Proposal, str | None]:
        """The item's strategy's proposal (concession when the model cannot give one), and why it fell back."""
        terms = bid.terms
        fallback = None
        proposal: Proposal | None = None
        if terms.strategy == "rule":
            proposal = rule_proposal(terms, bid.amount, prices.t)
        elif terms.strategy == "llm":
            # The last round is accept or reject: no counter to suggest, so nothing near the floor is sent.
            suggested = None if prices.final else prices.safe_counter
            proposal, fallback = await self._ask_llm(bid, session, prices.round, suggested)
        if proposal is None:
            standing = session["counters"][-1] if session["counters"] else terms.base_price
            proposal = concession_proposal(terms, bid.amount, prices.t, prices.offer, standing)
        return proposal, fallback

    def _settle(
        self, bid: Bid, session: dict[str, Any], prices: RoundPrices, guarded: Guarded, fallback: str | None
    ) -> SellerDecision:
        """Apply the guarded decision to the session (a deal or a rejection closes it) and report it."""
        decided = guarded.proposal
        status = _ACTION_STATUS[decided.action]
        self._count(status)
        session["bids"].append(bid.amount)
        deal_id: str | None = None
        reservation: str | None = None
        if decided.action == "accept":
            assert decided.price is not None  # the guard gives every acceptance its price
            deal_id, reservation = uuid.uuid4().hex, _reservation_code()
            # Scored against the session's own curve end, so the loop sees what its exponent did and not the
            # session's private margin (which, being random, would drown a step's effect in noise).
            spread = bid.terms.base_price - prices.curve_end
            self._close(bid.session_token, (decided.price - prices.curve_end) / spread if spread > 0 else 1.0)
        elif decided.action == "reject":
            self._close(bid.session_token, 0.0)
        else:
            session["counters"].append(decided.price)
        self.memory.remember({"round": prices.round, "status": status, "price": decided.price})
        return SellerDecision(
            status,
            bid.session_token,
            session["valid_until"],
            prices.round,
            decided.price,
            decided.message,
            decided.reason_code,
            deal_id,
            reservation,
            bid.terms.strategy,
            fallback,
            guarded.corrections,
        )

    async def _ask_llm(
        self, bid: Bid, session: dict[str, Any], round_number: int, suggested: float | None
    ) -> tuple[Proposal | None, str | None]:
        """The model's proposal, or (None, reason) when it failed and concession must decide."""
        config = llm_config()
        if config is None:
            self._count("llm_fallbacks")
            return None, "no_api_key"
        document = negotiation_document(
            bid.terms,
            bid.amount,
            round_number,
            bid.max_rounds,
            list(session["bids"]),
            list(session["counters"]),
            suggested,
        )
        started = time.monotonic()
        try:
            proposal = await llm_proposal(config, bid.terms, bid.amount, document)
        except LlmFailure as failure:
            self.resistance.record(True)
            self._count("llm_fallbacks")
            self._count(f"llm_fallback_{failure.reason}")
            if self.traced:
                self.trace.record(
                    self.actor_id,
                    "llm",
                    outputs={"fallback": failure.reason},
                    duration_ms=(time.monotonic() - started) * 1000,
                    error=failure.reason,
                )
            return None, failure.reason
        self.resistance.record(False)
        return proposal, None


def session_token() -> str:
    """A new, unguessable session token."""
    return "ses_" + secrets.token_urlsafe(24)
