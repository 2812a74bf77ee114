"""The negotiation service's metrics on the Prometheus endpoint: bids by status, deals, replay refusals."""

from __future__ import annotations

import time

from negotiation.client import NegotiationClient
from tests.prometheus import missing_after_export


async def test_bids_deals_and_replays_are_counted(agent: NegotiationClient) -> None:
    countered = await agent.negotiate("t_linear", 100)
    assert countered.status == "countered"
    accepted = await agent.negotiate("t_rule", 450)
    assert accepted.status == "accepted"
    stamp = int(time.time())
    bid = {"item_id": "t_rule", "bid_amount": 450}
    await agent.send("POST", "/v1/negotiate", bid, timestamp=stamp)
    replayed = await agent.send("POST", "/v1/negotiate", bid, timestamp=stamp)  # the same signature again
    assert replayed.json()["code"] == "replayed"
    missing, text = await missing_after_export(
        [
            ("aura_bids_total", {"status": "countered"}),
            ("aura_bids_total", {"status": "accepted"}),
            ("aura_deals_total", {}),
            ("aura_signed_refusals_total", {"code": "replayed"}),
            ("aura_host_activations_total", {"group": "seller"}),
        ]
    )
    assert missing == [], "not on the Prometheus endpoint yet"
    assert agent.did not in text  # no DIDs in labels
