"""Negotiation strategy maths over NumPy arrays: the one implementation of every strategy.

Every function takes arrays with one row per negotiation (a single seller
session is a one-row array), so the negotiation service and the batch
simulation make the same decisions from the same inputs.

Prices are from one party's point of view:

- `reservation_price` is the worst price the party will take: a seller's
  floor price, a buyer's most it will pay.
- `aspiration_price` is where it opens: a seller's base price, a buyer's
  opening bid.

A party concedes from its aspiration price toward its reservation price as
normalised time `t` (0 at the first round, 1 at the deadline) runs. The
time-dependent aspiration curve is, for a seller,

    target(t) = floor + (base − floor)·(1 − t^(1/e))

and the same formula with (reservation, aspiration) in place of
(floor, base) mirrors it for a buyer, whose aspiration lies below its
reservation. The exponent `e` is the concession style: e < 1 holds out until
late (Boulware), e = 1 concedes linearly, e > 1 concedes early (Conceder).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Strategy(IntEnum):
    """The strategies a party can play; the values are the codes stored in arrays."""

    BOULWARE = 0
    LINEAR = 1
    CONCEDER = 2
    TIT_FOR_TAT = 3
    RULE = 4
    ADAPTIVE = 5

    @property
    def label(self) -> str:
        """The lower-case name used in scenarios, summaries and the API."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_label(cls, label: str) -> Strategy:
        """The strategy named `label` (`tit-for-tat` and `tit_for_tat` both work)."""
        return cls[label.strip().upper().replace("-", "_")]


#: Strategies whose offers follow the aspiration curve.
TIME_DEPENDENT = (Strategy.BOULWARE, Strategy.LINEAR, Strategy.CONCEDER, Strategy.ADAPTIVE)

#: Starting concession exponent of each strategy (NegMAS's defaults for the named ones:
#: Boulware concedes as t⁴, Conceder as t^¼). Strategies off the curve ignore it.
DEFAULT_EXPONENT: dict[Strategy, float] = {
    Strategy.BOULWARE: 0.25,
    Strategy.LINEAR: 1.0,
    Strategy.CONCEDER: 4.0,
    Strategy.TIT_FOR_TAT: 1.0,
    Strategy.RULE: 1.0,
    Strategy.ADAPTIVE: 1.0,
}

#: The range the W2 loop may move each strategy's exponent in. A Boulware party stays
#: Boulware and a Conceder stays a Conceder; linear and the strategies off the curve
#: stay put; adaptive ranges over all styles.
EXPONENT_BOUNDS: dict[Strategy, tuple[float, float]] = {
    Strategy.BOULWARE: (0.05, 1.0),
    Strategy.LINEAR: (1.0, 1.0),
    Strategy.CONCEDER: (1.0, 20.0),
    Strategy.TIT_FOR_TAT: (1.0, 1.0),
    Strategy.RULE: (1.0, 1.0),
    Strategy.ADAPTIVE: (0.05, 20.0),
}


#: Plain codes for comparisons inside the maths: NumPy turns an `IntEnum` member into an array by
#: probing its class for the array protocols, a few microseconds per comparison on a one-row array.
_TIT_FOR_TAT, _RULE = int(Strategy.TIT_FOR_TAT), int(Strategy.RULE)


class Side(IntEnum):
    """Which way a party's prices improve: a seller wants more, a buyer less."""

    BUYER = -1
    SELLER = 1


def aspiration(t: ArrayLike, exponent: ArrayLike) -> NDArray:
    """The share of the way from reservation to aspiration price a party still holds at time `t`.

    `1 − t^(1/e)`: 1 at t = 0, 0 at t = 1. Computed as `exp(log(t)/e)` so a
    scalar `t` costs one `log`, not one power per row.
    """
    t = np.asarray(t)
    with np.errstate(divide="ignore"):
        log_t = np.log(t)
    return 1 - np.exp(log_t / np.asarray(exponent, dtype=np.result_type(t, np.float32)))


def concession_offer(
    t: ArrayLike, reservation_price: ArrayLike, aspiration_price: ArrayLike, exponent: ArrayLike
) -> NDArray:
    """The time-dependent offer: `reservation + (aspiration − reservation)·(1 − t^(1/e))`.

    For a seller (reservation = floor, aspiration = base) this is issue 3's
    `floor + (base − floor)·(1 − t^(1/e))`; for a buyer the same formula rises
    from its opening bid to its reservation price.
    """
    aspiration_price = np.asarray(aspiration_price)
    # aspiration − (aspiration − reservation)·t^(1/e): the same value, one operation fewer.
    with np.errstate(divide="ignore"):
        held_back = np.exp(np.log(np.asarray(t)) / np.asarray(exponent, dtype=np.result_type(t, np.float32)))
    return aspiration_price - (aspiration_price - np.asarray(reservation_price)) * held_back


def tit_for_tat_offer(
    my_last: ArrayLike,
    opponent_last: ArrayLike,
    opponent_before: ArrayLike,
    reservation_price: ArrayLike,
    aspiration_price: ArrayLike,
) -> NDArray:
    """Relative tit-for-tat: concede exactly as much as the opponent conceded in its last move.

    The opponent's concession is `opponent_last − opponent_before` toward us;
    for both sides that moves our price by `−(opponent_last − opponent_before)`.
    NaN history means no move yet: the first offer is the aspiration price and
    an opponent with a single offer has conceded nothing. Two tit-for-tat
    parties therefore never move: the strategy only answers concessions.
    The offer stays between the reservation and aspiration prices.
    """
    my_last = np.asarray(my_last)
    conceded = np.nan_to_num(np.asarray(opponent_last) - np.asarray(opponent_before), nan=0.0)
    offer = np.where(np.isnan(my_last), aspiration_price, my_last - conceded)
    low = np.minimum(reservation_price, aspiration_price)
    high = np.maximum(reservation_price, aspiration_price)
    return np.clip(offer, low, high)


def accepts(incoming: ArrayLike, threshold: ArrayLike, side: Side | ArrayLike) -> NDArray:
    """Whether each incoming offer is at least as good as the party's threshold.

    For every strategy but `rule` the threshold is the offer the party would
    make next ("accept when the incoming offer is at least as good as my next
    offer"); see `acceptance_threshold`. NaN incoming offers (none yet) are
    never accepted.
    """
    incoming, threshold = np.asarray(incoming), np.asarray(threshold)
    # Comparisons with NaN are false, so "no offer yet" needs no special case.
    if not isinstance(side, int):
        side = np.asarray(side)
        if side.ndim:
            return np.where(side > 0, incoming >= threshold, incoming <= threshold)
    return incoming >= threshold if side > 0 else incoming <= threshold


def next_offer(
    strategy: ArrayLike,
    t: ArrayLike,
    reservation_price: ArrayLike,
    aspiration_price: ArrayLike,
    exponent: ArrayLike,
    my_last: ArrayLike,
    opponent_last: ArrayLike,
    opponent_before: ArrayLike,
) -> NDArray:
    """Each party's next offer under its own strategy (codes of `Strategy`, one per row).

    Time-dependent strategies follow the aspiration curve; tit-for-tat mirrors
    the opponent's last concession; `rule` always counters at its aspiration
    price (it moves only by accepting). NaN history entries mean "no offer yet".
    """
    strategy = np.asarray(strategy)
    offer = concession_offer(t, reservation_price, aspiration_price, exponent)
    tft = strategy == _TIT_FOR_TAT
    if tft.any():
        mirrored = tit_for_tat_offer(my_last, opponent_last, opponent_before, reservation_price, aspiration_price)
        offer = np.where(tft, mirrored, offer)
    rule = strategy == _RULE
    if rule.any():
        offer = np.where(rule, aspiration_price, offer)
    return offer


def acceptance_threshold(strategy: ArrayLike, next_offer_price: ArrayLike, reservation_price: ArrayLike) -> NDArray:
    """The price an incoming offer must reach to be accepted: the next offer, or for `rule` the reservation price.

    `rule` is the seed's rule: a seller accepts any bid at or above its floor
    and counters otherwise (the buyer's mirror accepts any ask at or below its
    reservation price).
    """
    rule = np.asarray(strategy) == _RULE
    if not rule.any():
        return np.asarray(next_offer_price)
    return np.where(rule, reservation_price, next_offer_price)


class RuleAction(IntEnum):
    """The seed rule's decisions on a bid."""

    ACCEPT = 0
    COUNTER = 1
    UI_REQUIRED = 2


_ACCEPT, _COUNTER, _UI_REQUIRED = int(RuleAction.ACCEPT), int(RuleAction.COUNTER), int(RuleAction.UI_REQUIRED)


def rule_decision(bid: ArrayLike, floor_price: ArrayLike, confirm_threshold: ArrayLike) -> NDArray:
    """The seed's seller rule on each bid: above the confirm threshold UI_REQUIRED, below floor COUNTER, else ACCEPT.

    Codes are `RuleAction` values. The batch simulation has no human to
    confirm and passes an infinite threshold.
    """
    bid = np.asarray(bid)
    return np.where(
        bid > np.asarray(confirm_threshold),
        _UI_REQUIRED,
        np.where(bid < np.asarray(floor_price), _COUNTER, _ACCEPT),
    ).astype(np.int8)


def exponent_bounds(strategy: ArrayLike) -> tuple[NDArray, NDArray]:
    """Lower and upper bounds of each party's concession exponent (see `EXPONENT_BOUNDS`)."""
    codes = np.asarray(strategy, dtype=np.int64)
    lows = np.array([EXPONENT_BOUNDS[s][0] for s in Strategy])
    highs = np.array([EXPONENT_BOUNDS[s][1] for s in Strategy])
    return lows[codes], highs[codes]


def default_exponent(strategy: ArrayLike) -> NDArray:
    """Each party's starting concession exponent (see `DEFAULT_EXPONENT`)."""
    table = np.array([DEFAULT_EXPONENT[s] for s in Strategy])
    return table[np.asarray(strategy, dtype=np.int64)]


#: The W2 loop moves the exponent in log space, so one step scales it by the same factor
#: whether it is 0.1 or 10; this is the starting step of log(e).
LOG_EXPONENT_STEP = 0.5


def exponent_loop(strategy: ArrayLike, exponent: ArrayLike | None = None) -> dict[str, NDArray]:
    """Starting W2-loop arrays for each party's exponent: θ = log(e) with its bounds and step, shape (rows, 1).

    The keys match `actors.loop.step_rows` (and `W2Loop`): `theta`, `lower`,
    `upper`, `step`, `min_step`. `exponent` defaults to `default_exponent`.
    """
    codes = np.atleast_1d(np.asarray(strategy, dtype=np.int64))
    start = default_exponent(codes) if exponent is None else np.broadcast_to(np.asarray(exponent, float), codes.shape)
    low, high = exponent_bounds(codes)
    step = np.full(codes.shape, LOG_EXPONENT_STEP)
    return {
        "theta": np.log(np.clip(start, low, high))[:, None],
        "lower": np.log(low)[:, None],
        "upper": np.log(high)[:, None],
        "step": step[:, None],
        "min_step": (step / 64.0)[:, None],
    }


def exponent_from_theta(theta: ArrayLike) -> NDArray:
    """The concession exponent a W2-loop θ (log e) stands for."""
    return np.exp(np.asarray(theta))
