"""An autonomous buyer agent: finds an item, opens low, and concedes toward its budget as the seller counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from negotiation.catalog import SearchHit
from negotiation.client import ApiCallFailed, NegotiationClient
from negotiation.identity import AgentKey
from negotiation.protocol import AcceptedData, CounteredData, RejectedData


@dataclass(frozen=True)
class BuyerPlan:
    """What the agent wants and how it bargains."""

    query: str
    budget: float
    opening_share: float = 0.6
    #: Share of the gap to the seller's ask closed at each counter.
    step_share: float = 0.5
    max_bids: int = 12
    candidates: int = 5


@dataclass(frozen=True)
class BuyerOutcome:
    """How the negotiation ended."""

    item_id: str | None
    status: str
    price: float | None = None
    deal_id: str | None = None
    reservation_code: str | None = None


class BuyerAgent:
    """Searches the catalog, picks the best match it can afford to try for, and negotiates for it."""

    def __init__(self, api: str, key: AgentKey, *, report: Callable[[str], object] = print, transport=None) -> None:
        self._api, self._key, self._report, self._transport = api, key, report, transport

    def _pick(self, hits: list[SearchHit], budget: float) -> SearchHit | None:
        # A list price far above the budget rarely comes down that far; prefer the best match within reach.
        reachable = [h for h in hits if h.price <= budget * 1.6]
        return reachable[0] if reachable else None

    async def run(self, plan: BuyerPlan) -> BuyerOutcome:
        """Negotiate until a deal, a rejection, or a seller's last offer above the budget."""
        say = self._report
        async with NegotiationClient(self._api, self._key, transport=self._transport) as client:
            say(f"agent {client.did}")
            found = await client.search(plan.query, limit=plan.candidates)
            for hit in found.results:
                say(f"  found {hit.id}: {hit.name} at {hit.price:.2f} (score {hit.score:.3f})")
            item = self._pick(found.results, plan.budget)
            if item is None:
                say("nothing within reach of the budget")
                return BuyerOutcome(None, "no_match")
            bid = round(min(plan.budget, item.price) * plan.opening_share, 2)
            token: str | None = None
            for _ in range(plan.max_bids):
                say(f"bid {bid:.2f} on {item.id}")
                try:
                    answer = await client.negotiate(
                        item.id, bid, currency=item.details.get("currency", "USD"), session_token=token
                    )
                except ApiCallFailed as failure:
                    say(f"  refused: {failure.status} {failure.code}")
                    return BuyerOutcome(item.id, failure.code)
                token = answer.session_token
                if answer.status == "ui_required":
                    say("  the seller wants a human to confirm this high-value bid; stopping")
                    return BuyerOutcome(item.id, "ui_required")
                data = answer.data
                if isinstance(data, AcceptedData):
                    say(
                        f"  accepted at {data.final_price:.2f}: reservation {data.reservation_code}, "
                        f"deal {data.deal_id}"
                    )
                    return BuyerOutcome(item.id, "accepted", data.final_price, data.deal_id, data.reservation_code)
                if not isinstance(data, CounteredData):
                    say(f"  rejected ({data.reason_code if isinstance(data, RejectedData) else answer.status})")
                    return BuyerOutcome(item.id, "rejected")
                ask = data.proposed_price
                say(f"  countered at {ask:.2f}: {data.message}")
                # At the budget the agent repeats it: the seller's asks keep coming down until its deadline.
                bid = round(min(plan.budget, bid + plan.step_share * (ask - bid)), 2)
            say("no agreement within the agent's bid limit")
            return BuyerOutcome(item.id, "gave_up")
