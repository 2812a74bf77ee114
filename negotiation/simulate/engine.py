"""The driver of a simulation: starts the shard hosts, runs the epochs, gathers every outcome.

Per epoch every shard plays its buyers' negotiations, then every shard
learns from all shards' outcomes; the driver only passes object references
along and keeps each shard's latest checkpoint, which a restarted shard
restores from (see `shard`). Outcomes are placed by global negotiation
number, so what comes back is the same for any number of shards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import ray
from numpy.typing import NDArray
from ray.actor import ActorHandle

from negotiation.simulate import population
from negotiation.simulate.learning import PartyLoops
from negotiation.simulate.metrics import Outcomes
from negotiation.simulate.scenario import Scenario
from negotiation.simulate.shard import ShardHost


@dataclass
class RunResult:
    """Everything a run produced, in global order: outcomes, parties, exponents and W2 by epoch."""

    scenario: Scenario
    outcomes: Outcomes
    buyer: NDArray[np.int64]
    seller: NDArray[np.int64]
    epoch: NDArray[np.int16]
    buyers: population.Buyers
    sellers: population.Sellers
    buyer_exponent_start: NDArray[np.float32]
    buyer_exponent_final: NDArray[np.float32]
    seller_exponent_start: NDArray[np.float32]
    seller_exponent_final: NDArray[np.float32]
    buyer_w2: NDArray[np.float64]
    seller_w2: NDArray[np.float64]
    shard_nodes: list[str]
    restores: int


#: Called with (epoch, shard handles) once the epoch's work is submitted: the hook a fault test uses.
Dispatched = Callable[[int, list], None]
#: Called with (epoch, negotiations in it) when an epoch is done: drives the progress bar.
Progress = Callable[[int, int], None]


def run(
    scenario: Scenario,
    shards: int,
    progress: Progress | None = None,
    dispatched: Dispatched | None = None,
) -> RunResult:
    """Run `scenario` on `shards` shard hosts in the connected Ray cluster."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    buyer_ranges = population.ranges(scenario.buyers, shards)
    seller_ranges = population.ranges(scenario.sellers, shards)
    # SPREAD puts the hosts on as many nodes as the cluster has.
    # Ray types a created actor as the handle or the class; they are handles.
    hosts: list[ActorHandle] = [
        cast(ActorHandle, ShardHost.options(scheduling_strategy="SPREAD").remote(scenario, buyer_range, seller_range))
        for buyer_range, seller_range in zip(buyer_ranges, seller_ranges, strict=True)
    ]
    try:
        nodes: list[str] = ray.get([host.node_id.remote() for host in hosts])
        return _epochs(scenario, hosts, nodes, progress, dispatched)
    finally:
        for host in hosts:
            ray.kill(host)


def _epochs(
    scenario: Scenario, hosts: list, nodes: list[str], progress: Progress | None, dispatched: Dispatched | None
) -> RunResult:
    """Play every epoch on the shard hosts, each epoch's learning feeding the next, and gather the outcomes."""
    total = scenario.negotiations
    columns = {
        "buyer": np.empty(total, np.int64),
        "seller": np.empty(total, np.int64),
        "agreed": np.empty(total, bool),
        "round": np.empty(total, np.int16),
        "price": np.empty(total, np.float32),
    }
    checkpoints: list = [None] * len(hosts)
    seller_exponents: list = []
    buyer_w2, seller_w2 = [], []
    restores = 0
    for epoch, size in enumerate(population.epoch_sizes(scenario)):
        played = [
            host.negotiate.remote(epoch, [checkpoint], *seller_exponents)
            for host, checkpoint in zip(hosts, checkpoints, strict=True)
        ]
        learned = [
            host.learn.options(num_returns=3).remote(epoch, [checkpoint], *played)
            for host, checkpoint in zip(hosts, checkpoints, strict=True)
        ]
        if dispatched is not None:
            dispatched(epoch, hosts)
        for outcome in ray.get(played):
            where = outcome["negotiation"]
            for name, values in columns.items():
                values[where] = outcome[name]
            restores += int(outcome["restored"])
        replies = ray.get([reply for reply, _, _ in learned])
        buyer_w2.append(np.concatenate([reply["buyer_w2"] for reply in replies]))
        seller_w2.append(np.concatenate([reply["seller_w2"] for reply in replies]))
        restores += sum(int(reply["restored"]) for reply in replies)
        seller_exponents = [exponents for _, exponents, _ in learned]
        checkpoints = [checkpoint for _, _, checkpoint in learned]
        if progress is not None:
            progress(epoch, size)

    return _result(scenario, columns, ray.get(checkpoints), (buyer_w2, seller_w2), nodes, restores)


def _result(
    scenario: Scenario,
    columns: dict[str, np.ndarray],
    final: list,
    w2: tuple[list, list],
    nodes: list[str],
    restores: int,
) -> RunResult:
    """The run's result: every negotiation's row joined with its parties, and the loops' start and end."""
    epoch_of = np.repeat(np.arange(scenario.epochs, dtype=np.int16), population.epoch_sizes(scenario))
    buyer_w2, seller_w2 = w2
    buyers = population.buyers(scenario, np.arange(scenario.buyers))
    sellers = population.sellers(scenario, np.arange(scenario.sellers))
    buyer, seller = columns["buyer"], columns["seller"]
    outcomes = Outcomes(
        buyer_strategy=buyers.strategy[buyer],
        seller_strategy=sellers.strategy[seller],
        buyer_reservation_price=buyers.reservation_price[buyer],
        buyer_aspiration_price=buyers.aspiration_price[buyer],
        seller_floor_price=sellers.floor_price[seller],
        seller_base_price=sellers.base_price[seller],
        agreed=columns["agreed"],
        round=columns["round"],
        price=columns["price"],
    )
    return RunResult(
        scenario=scenario,
        outcomes=outcomes,
        buyer=buyer,
        seller=seller,
        epoch=epoch_of,
        buyers=buyers,
        sellers=sellers,
        buyer_exponent_start=PartyLoops.start(buyers.strategy).exponent(),
        buyer_exponent_final=np.concatenate([PartyLoops.from_state(c["buyers"]).exponent() for c in final]),
        seller_exponent_start=PartyLoops.start(sellers.strategy).exponent(),
        seller_exponent_final=np.concatenate([PartyLoops.from_state(c["sellers"]).exponent() for c in final]),
        buyer_w2=np.stack(buyer_w2),
        seller_w2=np.stack(seller_w2),
        shard_nodes=nodes,
        restores=restores,
    )
