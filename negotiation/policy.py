"""A seller's `rule` and `concession` decisions on one bid, on the shared NumPy strategy maths.

Both call `negotiation.strategies` with one-row arrays, so the service decides
exactly as the batch simulation does. Time is `t = round / max_rounds`: the
first bid is answered at t = 1/N, the last at t = 1, where the concession
curve reaches the floor.
"""

from __future__ import annotations

import math

import numpy as np

from negotiation.catalog import ItemTerms
from negotiation.guard import Proposal
from negotiation.strategies import (
    RuleAction,
    Side,
    Strategy,
    acceptance_threshold,
    accepts,
    next_offer,
    rule_decision,
)

#: The concession styles items choose from, as strategy codes of the shared maths.
STYLE_CODES: dict[str, Strategy] = {
    "boulware": Strategy.BOULWARE,
    "linear": Strategy.LINEAR,
    "conceder": Strategy.CONCEDER,
}

_NONE = np.array([np.nan])


def _style_row(terms: ItemTerms) -> np.ndarray:
    # The plain code: NumPy converts an `IntEnum` member slowly (see `strategies`).
    return np.array([int(STYLE_CODES[terms.concession])])


def round_time(round_number: int, max_rounds: int) -> float:
    """Normalised time of a round: 1/N for the first bid, 1 for the last."""
    return min(1.0, round_number / max_rounds)


def needs_confirmation(terms: ItemTerms, bid: float) -> bool:
    """The seed rule's first branch: a bid above the item's confirm threshold needs a human's confirmation."""
    code = rule_decision(np.array([bid]), np.array([terms.floor_price]), np.array([terms.confirm_threshold]))[0]
    return int(code) == RuleAction.UI_REQUIRED


def concession_offer(terms: ItemTerms, t: float, exponent: float, reservation: float | None = None) -> float:
    """The aspiration-curve price `r + (base − r)·(1 − t^(1/e))` for this item's style at time `t`.

    `r` is where the curve ends: the floor price unless a session's private
    curve (`negotiation.curve`) ends above it.
    """
    code = _style_row(terms)
    end = terms.floor_price if reservation is None else reservation
    offer = next_offer(
        code, np.array([t]), np.array([end]), np.array([terms.base_price]), np.array([exponent]), _NONE, _NONE, _NONE
    )
    return float(offer[0])


def concession_proposal(terms: ItemTerms, bid: float, t: float, offer: float, standing_offer: float) -> Proposal:
    """Accept when the bid reaches `offer`, the price the seller would ask now (`concession_offer` at `t`);
    else counter with it (reject at t = 1).

    An accepted bid above the seller's standing offer (its last counter, or
    the base price) pays the standing offer: that price was already on the table.
    """
    code = _style_row(terms)
    threshold = acceptance_threshold(code, np.array([offer]), np.array([terms.floor_price]))
    if bool(accepts(np.array([bid]), threshold, Side.SELLER)[0]):
        return Proposal("accept", min(bid, standing_offer))
    if t >= 1.0:
        return Proposal("reject", None, reason_code="round_limit")
    return Proposal("counter", offer, reason_code="bid_too_low")


def rule_proposal(terms: ItemTerms, bid: float, t: float) -> Proposal:
    """The seed's rule (its confirm branch comes before any strategy): below floor → counter at base; else accept."""
    code = rule_decision(np.array([bid]), np.array([terms.floor_price]), np.array([math.inf]))[0]
    if int(code) == RuleAction.ACCEPT:
        return Proposal("accept", bid)
    if t >= 1.0:
        return Proposal("reject", None, reason_code="round_limit")
    rule = np.array([int(Strategy.RULE)])
    ask = next_offer(
        rule,
        np.array([t]),
        np.array([terms.floor_price]),
        np.array([terms.base_price]),
        np.array([1.0]),
        _NONE,
        _NONE,
        _NONE,
    )
    return Proposal("counter", float(ask[0]), reason_code="bid_too_low")
