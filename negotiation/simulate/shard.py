"""A shard host: a Ray actor holding a slice of the buyers and sellers as columns of arrays.

Shard k holds a contiguous range of buyer ids and of seller ids, with each
party's W2 loop. Per epoch it plays the negotiations of its buyers (every
seller's terms are known to every shard) and then steps the loops of its own
buyers and sellers from all shards' outcomes.

Fault tolerance: the host's state has a version, the number of epochs it
has learned. Every call names its epoch and carries (boxed, so Ray does not
fetch it unless needed) the checkpoint the driver holds for that epoch. A
restarted host (Ray restarts it and retries the call) finds its version
behind and restores the checkpoint first; a `learn` for an epoch already
learned returns the cached reply. So each (epoch, shard) step takes effect
exactly once, whatever is retried.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import ray
from numpy.typing import NDArray

from negotiation.simulate import population
from negotiation.simulate.learning import PartyLoops
from negotiation.simulate.metrics import buyer_utility, seller_utility
from negotiation.simulate.rounds import Negotiations, run
from negotiation.simulate.scenario import Scenario

#: Restarts and retries per host. A host killed mid-run comes back and picks up from the checkpoint.
MAX_RESTARTS = 5


class Shard:
    """The shard's parties and the epoch steps; `ShardHost` is this class as a Ray actor."""

    def __init__(self, scenario: Scenario, buyer_range: tuple[int, int], seller_range: tuple[int, int]) -> None:
        self.scenario = scenario
        self.buyer_range = buyer_range
        self.seller_range = seller_range
        self.buyers = population.buyers(scenario, np.arange(*buyer_range))
        # Every seller's strategy and prices, since this shard's buyers may meet any seller.
        self.all_sellers = population.sellers(scenario, np.arange(scenario.sellers))
        self._fresh()

    def _fresh(self) -> None:
        self.version = 0
        self.buyer_loops = PartyLoops.start(self.buyers.strategy)
        self.seller_loops = PartyLoops.start(self.all_sellers.strategy[slice(*self.seller_range)])
        self.replies: dict[int, tuple[dict[str, NDArray], NDArray, dict[str, Any]]] = {}

    def checkpoint(self) -> dict[str, Any]:
        """The state after `version` epochs: everything `learn` changes."""
        return {"version": self.version, "buyers": self.buyer_loops.state(), "sellers": self.seller_loops.state()}

    def _at(self, epoch: int, checkpoint_box: list) -> bool:
        """Bring the state to version `epoch`, from the driver's checkpoint if this host lost it; whether it had to."""
        if self.version == epoch:
            return False
        checkpoint = ray.get(checkpoint_box[0]) if checkpoint_box and checkpoint_box[0] is not None else None
        if checkpoint is None:
            self._fresh()
        else:
            self.buyer_loops = PartyLoops.from_state(checkpoint["buyers"])
            self.seller_loops = PartyLoops.from_state(checkpoint["sellers"])
            self.version = checkpoint["version"]
            self.replies = {}
        if self.version != epoch:
            raise RuntimeError(f"shard at version {self.version} cannot serve epoch {epoch}")
        return True

    def negotiate(self, epoch: int, checkpoint_box: list, *seller_exponents: NDArray) -> dict[str, NDArray]:
        """Play the epoch's negotiations of this shard's buyers; `seller_exponents` are every shard's (none at 0)."""
        restored = self._at(epoch, checkpoint_box)
        scenario = self.scenario
        number = population.negotiations_of(scenario, epoch, *self.buyer_range)
        buyer_row = population.buyer_of(scenario, epoch, number) - self.buyer_range[0]
        seller = population.seller_of(scenario, number)
        if not seller_exponents:
            exponent = PartyLoops.start(self.all_sellers.strategy).exponent()
        else:
            exponent = np.concatenate(seller_exponents)
        b, s = self.buyers, self.all_sellers
        terms = Negotiations(
            buyer_strategy=b.strategy[buyer_row],
            buyer_reservation_price=b.reservation_price[buyer_row],
            buyer_aspiration_price=b.aspiration_price[buyer_row],
            buyer_exponent=self.buyer_loops.exponent()[buyer_row],
            seller_strategy=s.strategy[seller],
            seller_floor_price=s.floor_price[seller],
            seller_base_price=s.base_price[seller],
            seller_exponent=exponent[seller],
        )
        results = run(terms, scenario.deadline)
        return {
            "negotiation": number,
            "buyer": (buyer_row + self.buyer_range[0]).astype(np.int32),
            "seller": seller.astype(np.int32),
            "agreed": results.agreed,
            "round": results.round,
            "price": results.price,
            "restored": np.array(restored),
        }

    def learn(
        self, epoch: int, checkpoint_box: list, *outcomes: dict[str, NDArray]
    ) -> tuple[dict[str, NDArray], NDArray, dict[str, Any]]:
        """Step this shard's parties' W2 loops from the epoch's outcomes (all shards').

        Returns (W2 of its buyers and sellers, its sellers' new exponents,
        its checkpoint after the epoch).
        """
        if self.version == epoch + 1 and epoch in self.replies:
            return self.replies[epoch]
        restored = self._at(epoch, checkpoint_box)
        target = self.scenario.target_utility
        number = np.concatenate([o["negotiation"] for o in outcomes])
        buyer = np.concatenate([o["buyer"] for o in outcomes]).astype(np.int64)
        seller = np.concatenate([o["seller"] for o in outcomes]).astype(np.int64)
        price = np.concatenate([np.where(o["agreed"], o["price"], np.nan) for o in outcomes])

        mine = (buyer >= self.buyer_range[0]) & (buyer < self.buyer_range[1])
        row = buyer[mine] - self.buyer_range[0]
        buyer_score = buyer_utility(price[mine], self.buyers.reservation_price[row], self.buyers.aspiration_price[row])
        # One sample width per side across all shards, so each party's W2 is summed the same way on any layout.
        buyer_w2 = self.buyer_loops.learn(row, number[mine], buyer_score, target, int(np.bincount(buyer).max()))

        mine = (seller >= self.seller_range[0]) & (seller < self.seller_range[1])
        sold_by = seller[mine]
        seller_score = seller_utility(
            price[mine], self.all_sellers.floor_price[sold_by], self.all_sellers.base_price[sold_by]
        )
        seller_w2 = self.seller_loops.learn(
            sold_by - self.seller_range[0], number[mine], seller_score, target, int(np.bincount(seller).max())
        )

        self.version = epoch + 1
        reply = (
            {"buyer_w2": buyer_w2, "seller_w2": seller_w2, "restored": np.array(restored)},
            self.seller_loops.exponent(),
            self.checkpoint(),
        )
        self.replies = {epoch: reply}
        return reply

    def node_id(self) -> str:
        """The Ray node this host runs on."""
        return ray.get_runtime_context().get_node_id()


ShardHost = ray.remote(num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)(Shard)
