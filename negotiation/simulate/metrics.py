"""Outcome measures of a simulation: utilities, per-run and per-strategy-pair metrics, W2 statistics.

Definitions (prices of one negotiation; its zone of agreement is
[seller floor price, buyer reservation price] when that is not empty):

- utility: a seller's (price − floor)/(base − floor), a buyer's
  (reservation − price)/(reservation − aspiration), clipped to [0, 1];
  0 without agreement. These are the scores the W2 loops learn from.
- normalised price: (price − floor)/(reservation − floor), 0 at the
  seller's floor, 1 at the buyer's reservation price.
- social welfare: buyer utility + seller utility.
- Nash bargaining solution: with the disagreement point (0, 0) and utilities
  linear in price, the Nash product is largest at the middle of the zone of
  agreement; distance is the Euclidean distance in (buyer, seller) utility
  between the outcome and that point ((0, 0) when the zone is empty).
- buyer surplus share: the buyers' total money surplus over the total
  surplus available, across agreements (seller share = 1 − it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from negotiation.strategies import Strategy


def buyer_utility(price: NDArray, reservation_price: NDArray, aspiration_price: NDArray) -> NDArray[np.float64]:
    """A buyer's utility of each price (NaN price = no agreement = 0)."""
    width = np.asarray(reservation_price, np.float64) - aspiration_price
    gain = np.asarray(reservation_price, np.float64) - price
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(width > 0, gain / width, np.where(gain >= 0, 1.0, 0.0))
    return np.where(np.isnan(price), 0.0, np.clip(share, 0.0, 1.0))


def seller_utility(price: NDArray, floor_price: NDArray, base_price: NDArray) -> NDArray[np.float64]:
    """A seller's utility of each price (NaN price = no agreement = 0)."""
    width = np.asarray(base_price, np.float64) - floor_price
    gain = np.asarray(price, np.float64) - floor_price
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(width > 0, gain / width, np.where(gain >= 0, 1.0, 0.0))
    return np.where(np.isnan(price), 0.0, np.clip(share, 0.0, 1.0))


@dataclass
class Outcomes:
    """Every negotiation of a run, one row each in global order, with both parties' strategy and prices."""

    buyer_strategy: NDArray[np.int8]
    seller_strategy: NDArray[np.int8]
    buyer_reservation_price: NDArray[np.float32]
    buyer_aspiration_price: NDArray[np.float32]
    seller_floor_price: NDArray[np.float32]
    seller_base_price: NDArray[np.float32]
    agreed: NDArray[np.bool_]
    round: NDArray[np.int16]
    price: NDArray[np.float32]


class OutcomeMetrics(BaseModel):
    """Metrics of a set of negotiations; means are None when nothing qualifies."""

    negotiations: int
    agreements: int
    agreement_rate: float | None
    mean_rounds: float | None
    mean_normalised_price: float | None
    buyer_utility: float | None
    seller_utility: float | None
    social_welfare: float | None
    nash_distance: float | None
    buyer_surplus_share: float | None


class PairMetrics(OutcomeMetrics):
    """Metrics of the negotiations between one buyer strategy and one seller strategy."""

    buyer_strategy: str
    seller_strategy: str


class W2Stats(BaseModel):
    """W2 across the parties that had outcomes in an epoch."""

    parties: int
    mean: float | None
    p50: float | None
    p90: float | None


class EpochMetrics(BaseModel):
    """One epoch: its agreement rate and the W2 its parties measured at its end."""

    epoch: int
    negotiations: int
    agreement_rate: float | None
    w2: W2Stats
    buyer_w2: W2Stats
    seller_w2: W2Stats


class Metrics(BaseModel):
    """Everything measured about a run's outcomes; equal for equal scenarios whatever the shard layout."""

    run: OutcomeMetrics
    pairs: list[PairMetrics]
    epochs: list[EpochMetrics]


def _ratio(numerator: NDArray, denominator: NDArray) -> list[float | None]:
    return [float(n / d) if d > 0 else None for n, d in zip(numerator, denominator, strict=True)]


def grouped(outcomes: Outcomes, group: NDArray[np.int64], groups: int) -> list[OutcomeMetrics]:
    """Metrics of each group (codes 0 … groups−1) of `outcomes`, by weighted counts so it is one pass per measure."""
    o = outcomes
    agreed = o.agreed
    price = np.where(agreed, o.price, np.nan).astype(np.float64)
    floor = o.seller_floor_price.astype(np.float64)
    reservation = o.buyer_reservation_price.astype(np.float64)
    zone = reservation - floor
    u_buyer = buyer_utility(price, reservation, o.buyer_aspiration_price)
    u_seller = seller_utility(price, floor, o.seller_base_price)
    middle = np.where(zone >= 0, (floor + reservation) / 2, np.nan)
    nash_distance = np.hypot(
        u_buyer - buyer_utility(middle, reservation, o.buyer_aspiration_price),
        u_seller - seller_utility(middle, floor, o.seller_base_price),
    )
    priced = agreed & (zone > 0)

    def total(weights: NDArray | None = None, where: NDArray | None = None) -> NDArray[np.float64]:
        values = np.ones(group.size) if weights is None else weights
        if where is not None:
            values = np.where(where, values, 0.0)
        return np.bincount(group, weights=values, minlength=groups).astype(np.float64)

    count = total()
    agreements = total(where=agreed)
    priced_count = total(where=priced)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = (price - floor) / zone
    columns = {
        "agreement_rate": _ratio(agreements, count),
        "mean_rounds": _ratio(total(o.round.astype(np.float64) + 1, agreed), agreements),
        "mean_normalised_price": _ratio(total(normalised, priced), priced_count),
        "buyer_utility": _ratio(total(u_buyer), count),
        "seller_utility": _ratio(total(u_seller), count),
        "social_welfare": _ratio(total(u_buyer + u_seller), count),
        "nash_distance": _ratio(total(nash_distance), count),
        "buyer_surplus_share": _ratio(total(reservation - price, priced), total(zone, priced)),
    }
    return [
        OutcomeMetrics(
            negotiations=int(count[g]),
            agreements=int(agreements[g]),
            **{name: values[g] for name, values in columns.items()},
        )
        for g in range(groups)
    ]


def run_metrics(outcomes: Outcomes) -> OutcomeMetrics:
    """Metrics over every negotiation of the run."""
    return grouped(outcomes, np.zeros(outcomes.agreed.size, dtype=np.int64), 1)[0]


def pair_metrics(outcomes: Outcomes) -> list[PairMetrics]:
    """Metrics per (buyer strategy, seller strategy) pair that occurred, in strategy order."""
    kinds = len(Strategy)
    code = outcomes.buyer_strategy.astype(np.int64) * kinds + outcomes.seller_strategy
    found = grouped(outcomes, code, kinds * kinds)
    return [
        PairMetrics(
            buyer_strategy=Strategy(g // kinds).label,
            seller_strategy=Strategy(g % kinds).label,
            **found[g].model_dump(),
        )
        for g in range(kinds * kinds)
        if found[g].negotiations
    ]


def w2_stats(w2: NDArray) -> W2Stats:
    """Mean, median and 90th percentile of the finite W2 values (parties without outcomes are NaN)."""
    finite = w2[np.isfinite(w2)]
    if finite.size == 0:
        return W2Stats(parties=0, mean=None, p50=None, p90=None)
    p50, p90 = np.percentile(finite, [50, 90])
    return W2Stats(parties=int(finite.size), mean=float(finite.mean()), p50=float(p50), p90=float(p90))
