"""The negotiation service when a seller's host stops under a bid."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable

import asyncpg
import pytest
import ray

from actors import HostGroup, HostSpec
from aura.settings import get_settings
from negotiation.access import SignedRequest
from negotiation.catalog import Catalog
from negotiation.identity import AgentKey
from negotiation.protocol import NegotiateRequest
from negotiation.service import NegotiationError, NegotiationService
from tests.negotiation.mistral_stub import Script, start


def _signed_bid(key: AgentKey, item_id: str, amount: float) -> tuple[SignedRequest, NegotiateRequest]:
    body = json.dumps({"item_id": item_id, "bid_amount": amount}).encode()
    headers = {
        name.lower(): value for name, value in key.sign_headers("POST", "/v1/negotiate", body, int(time.time())).items()
    }
    return (
        SignedRequest.from_headers("POST", "/v1/negotiate", headers, body),
        NegotiateRequest.model_validate_json(body),
    )


@pytest.mark.usefixtures("ray_cluster")
async def test_a_bid_whose_seller_host_stops_is_a_503_and_the_restarted_host_answers_the_next(
    catalog: Catalog, db: asyncpg.Pool, negotiation_env: Callable[..., None]
) -> None:
    stub, server = start()
    # A slow model keeps the bid on the host long enough to stop the host under it.
    stub.script = Script(delay_s=3.0)
    sellers = HostGroup.sharded(
        HostSpec(
            group=f"seller-{uuid.uuid4().hex[:8]}",
            actor_class="negotiation.seller:Seller",
            intake="negotiation.desk:NegotiationDesk",
            persistence="none",
            env={
                "AURA_MISTRAL_API_KEY": "test-key",
                "AURA_MISTRAL_SERVER_URL": stub.url,
                "AURA_LLM_TIMEOUT_MS": "20000",
            },
        ),
        coalesce=True,
    )
    service = NegotiationService(db, get_settings().negotiation, sellers)
    key = AgentKey.generate()
    try:
        pending = asyncio.create_task(service.negotiate(*_signed_bid(key, "t_llm", 900), None))
        for _ in range(600):
            if stub.requests or pending.done():
                break
            await asyncio.sleep(0.05)
        assert stub.requests, "the bid never reached the model"
        ray.kill(sellers.handle(0), no_restart=False)
        with pytest.raises(NegotiationError) as refused:
            await asyncio.wait_for(pending, 30)
        assert refused.value.code == "seller_unavailable"
        assert refused.value.headers == {"Retry-After": "1"}

        stub.script = Script()
        answer, admission = await asyncio.wait_for(service.negotiate(*_signed_bid(key, "t_llm", 700), None), 60)
        assert answer.status == "countered" and answer.data.proposed_price == 950
        assert admission.agent_did == key.did
    finally:
        sellers.kill()
        server.shutdown()
        server.server_close()
