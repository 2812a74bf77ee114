"""Alternating-offers rounds over many negotiations at once: the simulation's inner loop.

Protocol, per round r = 0 … deadline−1 at normalised time t = r/(deadline−1)
(t = 1 when there is a single round):

1. The buyer looks at the seller's last ask (none in round 0). It accepts if
   the ask is at least as good as the bid it would make next; otherwise it bids.
2. The seller accepts the bid if it is at least as good as the ask it would
   make next; otherwise it asks.

A negotiation open after the last round ends without agreement. Each step
is a handful of NumPy operations over every open negotiation, with prices in
float32; closed negotiations are dropped from the working arrays once enough
of them have closed that copying pays off.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from negotiation.strategies import Side, acceptance_threshold, accepts, next_offer

#: Compact the working arrays when fewer than this share of their rows is still open.
COMPACT_BELOW = 0.75


@dataclass
class Negotiations:
    """The terms of each negotiation: one row each, both parties' strategy and prices."""

    buyer_strategy: NDArray[np.int8]
    buyer_reservation_price: NDArray[np.float32]
    buyer_aspiration_price: NDArray[np.float32]
    buyer_exponent: NDArray[np.float32]
    seller_strategy: NDArray[np.int8]
    seller_floor_price: NDArray[np.float32]
    seller_base_price: NDArray[np.float32]
    seller_exponent: NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.buyer_strategy.shape[0])


@dataclass
class Results:
    """How each negotiation ended: agreed or not, in which round (0-based, −1 if none), at what price (NaN if none)."""

    agreed: NDArray[np.bool_]
    round: NDArray[np.int16]
    price: NDArray[np.float32]


#: The working arrays of the open negotiations, by name.
Columns = dict[str, NDArray]


def run(negotiations: Negotiations, deadline: int) -> Results:
    """Play every negotiation to agreement or deadline and return how each ended."""
    if deadline < 1:
        raise ValueError(f"deadline must be at least 1 round, got {deadline}")
    n = len(negotiations)
    results = Results(
        agreed=np.zeros(n, dtype=bool),
        round=np.full(n, -1, dtype=np.int16),
        price=np.full(n, np.nan, dtype=np.float32),
    )
    # Working copies, compacted as negotiations close; `row` maps back to the result row.
    work = {f.name: np.asarray(getattr(negotiations, f.name)) for f in fields(negotiations)}
    work["row"] = np.arange(n)
    for name in ("buyer_last", "buyer_before", "seller_last", "seller_before"):
        work[name] = np.full(n, np.nan, dtype=np.float32)
    live = np.ones(n, dtype=bool)
    for r in range(deadline):
        if work["row"].size == 0:
            break
        # The last round is always t = 1, where every curve reaches its reservation price.
        t = np.float32(r / (deadline - 1) if deadline > 1 else 1.0)
        bid, buyer_takes = _move(work, Side.BUYER, t, live, work["seller_last"])
        work["buyer_before"], work["buyer_last"] = work["buyer_last"], bid
        ask, seller_takes = _move(work, Side.SELLER, t, live & ~buyer_takes, bid)
        closed = buyer_takes | seller_takes
        if closed.any():
            rows = work["row"][closed]
            results.agreed[rows] = True
            results.round[rows] = r
            # The accepted price is the incoming offer: the seller's last ask or the buyer's bid.
            results.price[rows] = np.where(buyer_takes[closed], work["seller_last"][closed], bid[closed])
            live &= ~closed
        work["seller_before"], work["seller_last"] = work["seller_last"], ask
        if live.sum() < COMPACT_BELOW * live.size:
            work = {name: values[live] for name, values in work.items()}
            live = np.ones(work["row"].size, dtype=bool)
    return results


#: Each side's (reservation, opening) price columns: where its concession curve ends and starts.
_PRICES = {
    Side.BUYER: ("buyer_reservation_price", "buyer_aspiration_price"),
    Side.SELLER: ("seller_floor_price", "seller_base_price"),
}


def _move(
    work: Columns, side: Side, t: np.float32, open_: NDArray[np.bool_], incoming: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Each party's next offer on `side`, and whether it takes the `incoming` offer instead."""
    me, other = ("buyer", "seller") if side is Side.BUYER else ("seller", "buyer")
    reservation, opening = _PRICES[side]
    offer = next_offer(
        work[f"{me}_strategy"],
        t,
        work[reservation],
        work[opening],
        work[f"{me}_exponent"],
        work[f"{me}_last"],
        work[f"{other}_last"],
        work[f"{other}_before"],
    ).astype(np.float32, copy=False)
    threshold = acceptance_threshold(work[f"{me}_strategy"], offer, work[reservation])
    return offer, open_ & accepts(incoming, threshold, side)
