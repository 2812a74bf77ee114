"""Negotiation: sellers with hidden floor prices and buyer agents, agreeing on prices over signed requests.

`NegotiationService` is the way in (search, bids, deals) that
`deployments.negotiation` serves; each seller is a logical actor (`Seller`)
on a host group, reached through a coalescing desk. `NegotiationClient` and
`BuyerAgent` are the buyer's side, `AgentKey` its identity. Batch
simulation is the `negotiation.simulate` subpackage, imported on its own.
"""

from typing import TYPE_CHECKING

from aura import lazy_surface

if TYPE_CHECKING:
    from negotiation.access import AccessDenied, Limits, SignedRequest, verify_request
    from negotiation.agent import BuyerAgent, BuyerOutcome, BuyerPlan
    from negotiation.catalog import (
        DEMO_CATALOG,
        Catalog,
        CatalogItem,
        ItemTerms,
        SearchHit,
        read_catalog_file,
        seed_demo_catalog,
    )
    from negotiation.client import ApiCallFailed, NegotiationClient
    from negotiation.embedding import Embedder, HashingEmbedder, embedder_from_settings
    from negotiation.errors import NegotiationError
    from negotiation.identity import AgentKey, IdentityError, canonical_did, did_from_key
    from negotiation.protocol import (
        AcceptedData,
        ActionRequired,
        CounteredData,
        Deal,
        DealsPage,
        NegotiateRequest,
        NegotiateResponse,
        RejectedData,
        SearchRequest,
        SearchResponse,
    )
    from negotiation.seller import Bid, Seller, SellerDecision, session_token
    from negotiation.service import NegotiationService, answer_of, seller_group

__all__ = [
    "DEMO_CATALOG",
    "AcceptedData",
    "AccessDenied",
    "ActionRequired",
    "AgentKey",
    "ApiCallFailed",
    "Bid",
    "BuyerAgent",
    "BuyerOutcome",
    "BuyerPlan",
    "Catalog",
    "CatalogItem",
    "CounteredData",
    "Deal",
    "DealsPage",
    "Embedder",
    "HashingEmbedder",
    "IdentityError",
    "ItemTerms",
    "Limits",
    "NegotiateRequest",
    "NegotiateResponse",
    "NegotiationClient",
    "NegotiationError",
    "NegotiationService",
    "RejectedData",
    "SearchHit",
    "SearchRequest",
    "SearchResponse",
    "Seller",
    "SellerDecision",
    "SignedRequest",
    "answer_of",
    "canonical_did",
    "did_from_key",
    "embedder_from_settings",
    "read_catalog_file",
    "seed_demo_catalog",
    "seller_group",
    "session_token",
    "verify_request",
]

__getattr__, __dir__ = lazy_surface(__name__)
