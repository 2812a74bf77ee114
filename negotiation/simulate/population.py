"""The parties of a scenario and who meets whom, drawn so that nothing depends on the shard layout.

Every random draw is a pure function of (seed, stream, index): a party's
strategy and prices depend on its id, a negotiation's seller on its global
number. A shard computes exactly the rows it holds and gets the same values
any other layout would. The streams' keys come from NumPy's `SeedSequence`
(spawn key = stream); per index a SplitMix64 finaliser turns (key, index)
into 64 random bits, which vectorises where a generator per row would not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from negotiation.simulate.scenario import PriceRange, Scenario, StrategyLabel
from negotiation.strategies import Strategy


class Stream(IntEnum):
    """Independent random streams, one per kind of draw."""

    BUYER_STRATEGY = 1
    BUYER_RESERVATION = 2
    BUYER_ASPIRATION = 3
    SELLER_STRATEGY = 4
    SELLER_FLOOR = 5
    SELLER_BASE = 6
    PAIRING = 7


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def uniform(seed: int, stream: Stream, index: NDArray) -> NDArray[np.float64]:
    """One uniform draw in [0, 1) per index, a pure function of (seed, stream, index)."""
    key = np.random.SeedSequence(seed, spawn_key=(int(stream),)).generate_state(1, np.uint64)[0]
    with np.errstate(over="ignore"):
        bits = _splitmix(np.asarray(index, dtype=np.uint64) * _GOLDEN + key)
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _prices(seed: int, stream: Stream, ids: NDArray, prices: PriceRange) -> NDArray[np.float32]:
    return (prices.low + (prices.high - prices.low) * uniform(seed, stream, ids)).astype(np.float32)


def _strategies(seed: int, stream: Stream, ids: NDArray, mix: Mapping[StrategyLabel, float]) -> NDArray[np.int8]:
    codes = np.array([Strategy.from_label(label) for label in mix], dtype=np.int8)
    weights = np.array(list(mix.values()), dtype=np.float64)
    edges = np.cumsum(weights) / weights.sum()
    # A zero-weight strategy has an empty interval, so it is never drawn.
    picked = np.searchsorted(edges, uniform(seed, stream, ids), side="right")
    return codes[np.minimum(picked, codes.size - 1)]


@dataclass
class Buyers:
    """Buyers as columns: id, strategy code, reservation price (the most it pays), aspiration price (its first bid)."""

    id: NDArray[np.int64]
    strategy: NDArray[np.int8]
    reservation_price: NDArray[np.float32]
    aspiration_price: NDArray[np.float32]


@dataclass
class Sellers:
    """Sellers as columns: id, strategy code, floor price (the least it takes), base price (its opening ask)."""

    id: NDArray[np.int64]
    strategy: NDArray[np.int8]
    floor_price: NDArray[np.float32]
    base_price: NDArray[np.float32]


def buyers(scenario: Scenario, ids: NDArray) -> Buyers:
    """The buyers with these ids."""
    ids = np.asarray(ids, dtype=np.int64)
    return Buyers(
        id=ids,
        strategy=_strategies(scenario.seed, Stream.BUYER_STRATEGY, ids, scenario.buyer.strategies),
        reservation_price=_prices(scenario.seed, Stream.BUYER_RESERVATION, ids, scenario.buyer.reservation_price),
        aspiration_price=_prices(scenario.seed, Stream.BUYER_ASPIRATION, ids, scenario.buyer.aspiration_price),
    )


def sellers(scenario: Scenario, ids: NDArray) -> Sellers:
    """The sellers with these ids."""
    ids = np.asarray(ids, dtype=np.int64)
    return Sellers(
        id=ids,
        strategy=_strategies(scenario.seed, Stream.SELLER_STRATEGY, ids, scenario.seller.strategies),
        floor_price=_prices(scenario.seed, Stream.SELLER_FLOOR, ids, scenario.seller.floor_price),
        base_price=_prices(scenario.seed, Stream.SELLER_BASE, ids, scenario.seller.base_price),
    )


def epoch_sizes(scenario: Scenario) -> list[int]:
    """Negotiations in each epoch: the run's total split as evenly as possible, earlier epochs first."""
    size, extra = divmod(scenario.negotiations, scenario.epochs)
    return [size + (epoch < extra) for epoch in range(scenario.epochs)]


def epoch_start(scenario: Scenario, epoch: int) -> int:
    """The global number of the epoch's first negotiation."""
    return sum(epoch_sizes(scenario)[:epoch])


def negotiations_of(scenario: Scenario, epoch: int, first_buyer: int, end_buyer: int) -> NDArray[np.int64]:
    """Global numbers, ascending, of the epoch's negotiations whose buyer is in [first_buyer, end_buyer).

    Negotiation j of an epoch (j from 0) is buyer j mod buyers's, so every
    buyer negotiates about as often as every other.
    """
    size = epoch_sizes(scenario)[epoch]
    passes = -(-size // scenario.buyers)
    local = (np.arange(passes, dtype=np.int64)[:, None] * scenario.buyers + np.arange(first_buyer, end_buyer)).ravel()
    return np.sort(local[local < size]) + epoch_start(scenario, epoch)


def buyer_of(scenario: Scenario, epoch: int, negotiation: NDArray) -> NDArray[np.int64]:
    """The buyer of each negotiation (global numbers) in `epoch`."""
    return (np.asarray(negotiation, dtype=np.int64) - epoch_start(scenario, epoch)) % scenario.buyers


def seller_of(scenario: Scenario, negotiation: NDArray) -> NDArray[np.int64]:
    """The seller of each negotiation (global numbers): uniform over sellers, keyed by the negotiation's number."""
    draw = uniform(scenario.seed, Stream.PAIRING, negotiation)
    return np.minimum((draw * scenario.sellers).astype(np.int64), scenario.sellers - 1)


def ranges(count: int, parts: int) -> list[tuple[int, int]]:
    """`count` ids cut into `parts` contiguous ranges of near-equal size (some empty if parts > count)."""
    edges = [count * part // parts for part in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:], strict=False))
