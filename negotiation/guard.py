"""Guard rails on every seller decision, whichever strategy made it.

Rules: an accepted price is at least the floor and at most the bid (and
not the floor itself unless the buyer bid exactly that); a counter is above
the floor (so it never reveals it) and at most the base price; the last
round cannot be countered; no text mentions the floor or its value. A
decision that breaks a rule is corrected (never sent as it was) and each
correction is named so it can be counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Literal

Action = Literal["accept", "counter", "reject"]

_CENT = 0.01
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_FLOOR_WORDS = re.compile(r"floor|reserve|reservation price|minimum|lowest|bottom line|walk[- ]away", re.IGNORECASE)
_MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class Proposal:
    """A seller's decision on one bid before it is sent."""

    action: Action
    price: float | None
    message: str = ""
    reason_code: str = ""


@dataclass(frozen=True, slots=True)
class Guarded:
    """A proposal after the guard rails, and the names of the rules it broke."""

    proposal: Proposal
    corrections: list[str] = field(default_factory=list)


def _cents_up(value: float) -> float:
    return math.ceil(round(value * 100, 6)) / 100


def _cents_down(value: float) -> float:
    return math.floor(round(value * 100, 6)) / 100


def mentions_value(text: str, value: float) -> bool:
    """Whether any number written in `text` (with or without thousands separators) equals `value` to the cent."""
    for token in _NUMBER.findall(text):
        try:
            number = float(token.replace(",", ""))
        except ValueError:
            continue
        if abs(number - value) < 0.005:
            return True
    return False


def standard_message(action: Action, price: float | None, item_name: str, currency: str) -> str:
    """The message sent when a strategy's own text cannot be."""
    if action == "accept":
        return f"Deal: {item_name} for {price:.2f} {currency}."
    if action == "counter":
        return f"We can offer {item_name} for {price:.2f} {currency}."
    return f"We cannot agree on {item_name} this time."


@dataclass(slots=True)
class _Draft:
    """The decision as the rules correct it, one rule at a time."""

    action: Action
    price: float | None
    reason: str
    corrections: list[str] = field(default_factory=list)

    def correct(self, rule: str) -> None:
        self.corrections.append(rule)


@dataclass(frozen=True, slots=True)
class _Bounds:
    floor_price: float
    base_price: float
    bid: float
    safe_counter: float


def enforce(
    proposal: Proposal,
    *,
    floor_price: float,
    base_price: float,
    bid: float,
    final_round: bool,
    safe_counter: float,
    item_name: str,
    currency: str,
) -> Guarded:
    """The proposal made legal, with one correction name per broken rule.

    `safe_counter` is the counter the concession curve would make now (above
    the floor); it replaces an illegal counter, and an illegal acceptance
    becomes that counter when the bid is below the floor.
    """
    draft = _Draft(proposal.action, proposal.price, proposal.reason_code)
    bounds = _Bounds(floor_price, base_price, bid, safe_counter)
    if draft.action == "accept":
        _legal_acceptance(draft, bounds)
    if draft.action == "counter":
        if final_round:
            draft.correct("counter_in_final_round")
            draft.action, draft.price, draft.reason = "reject", None, "round_limit"
        else:
            _legal_counter(draft, bounds)
    if draft.action == "reject":
        draft.price = None
    message = _message(proposal.message, draft, floor_price, item_name, currency)
    if draft.action == "accept":
        draft.reason = ""
    elif not draft.reason:
        draft.reason = "bid_too_low" if draft.action == "counter" else "seller_declined"
    legal = replace(proposal, action=draft.action, price=draft.price, message=message, reason_code=draft.reason)
    return Guarded(legal, draft.corrections)


def _legal_acceptance(draft: _Draft, bounds: _Bounds) -> None:
    """An acceptance priced within [floor, bid] in cents, or the safe counter when the bid is below the floor."""
    price, floor_price, bid = draft.price, bounds.floor_price, bounds.bid
    if price is None or not math.isfinite(price):
        draft.correct("accept_without_price")
        price = bid
    if price > bid:
        draft.correct("accept_above_bid")
        price = bid
    if price < floor_price:
        draft.correct("accept_below_floor")
        if bid < floor_price:
            draft.action, draft.price, draft.reason = "counter", bounds.safe_counter, "bid_too_low"
            return
        price = bid
    # Two decimals, without rounding past the bid or below the floor.
    price = min(max(round(price, 2), _cents_up(floor_price)), bid)
    if abs(price - floor_price) < 0.005 and bid > price:
        # A price at the floor tells the buyer where it is; only the buyer's own bid may land there.
        draft.correct("accept_at_floor")
        price = min(bid, round(_cents_down(floor_price) + _CENT, 2))
    draft.price = price


def _legal_counter(draft: _Draft, bounds: _Bounds) -> None:
    """A counter priced above the floor and at most the base price, in cents; an acceptance if the bid beats it."""
    price, floor_price, base_price = draft.price, bounds.floor_price, bounds.base_price
    if price is None or not math.isfinite(price) or price > base_price:
        draft.correct("counter_out_of_range")
        price = bounds.safe_counter
    if price <= floor_price and price != base_price:
        draft.correct("counter_at_or_below_floor")
        price = max(bounds.safe_counter, floor_price + _CENT)
    # Two decimals, without rounding past the base price or down to the floor.
    price = round(price, 2)
    if price > base_price:
        price = _cents_down(base_price) if _cents_down(base_price) > floor_price else base_price
    if price <= floor_price and price != base_price:
        price = min(round(_cents_down(floor_price) + _CENT, 2), base_price)
    draft.price = price
    if price <= bounds.bid and bounds.bid >= floor_price:
        # Countering at or below what the buyer already offers would be a worse deal than accepting.
        draft.correct("counter_not_above_bid")
        draft.action, draft.price, draft.reason = "accept", bounds.bid, ""


def _message(text: str, draft: _Draft, floor_price: float, item_name: str, currency: str) -> str:
    """The strategy's text if it is safe and still describes the decision, else the standard one."""
    message = text[:_MAX_MESSAGE]
    text_broken = bool(_FLOOR_WORDS.search(message)) or mentions_value(message, floor_price)
    if text_broken:
        draft.correct("text_mentions_floor")
    describes = draft.price is None or draft.action == "reject" or mentions_value(message, draft.price)
    if text_broken or not message or draft.corrections or not describes:
        # Any corrected decision gets the standard text: the strategy's text described another price.
        return standard_message(draft.action, draft.price, item_name, currency)
    return message
