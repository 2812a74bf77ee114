"""The negotiation API's request and response models (seed-compatible field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from aura import Boolean, Integer, Number
from negotiation.catalog import SearchHit
from negotiation.currency import CODES

NegotiationStatus = Literal["accepted", "countered", "rejected", "ui_required"]


class SearchRequest(BaseModel):
    """A catalog search."""

    query: str = Field(min_length=1, max_length=500)
    limit: Integer = Field(default=3, ge=1, le=50)
    min_similarity: Number = Field(default=0.0, ge=0.0, le=1.0)


class SearchResponse(BaseModel):
    """Active items closest to the query, best first."""

    results: list[SearchHit]


class NegotiateRequest(BaseModel):
    """One bid: opens a session, or continues one with `session_token`."""

    item_id: str = Field(min_length=1, max_length=64)
    bid_amount: Number = Field(gt=0, le=1e12, allow_inf_nan=False)
    currency: str = Field(
        default="USD",
        pattern=r"^[A-Za-z]{3}$",
        description="ISO 4217 (either case); must be the item's currency.",
        json_schema_extra={"enum": [*CODES, *(code.lower() for code in CODES)]},
    )
    agent_did: str | None = Field(default=None, max_length=200, description="If given, must equal X-Agent-ID.")
    session_token: str | None = Field(default=None, min_length=1, max_length=100)
    confirmed: Boolean = Field(default=False, description="A human confirmed this high-value bid.")


class AcceptedData(BaseModel):
    """The deal that was made."""

    final_price: float
    reservation_code: str
    deal_id: str


class CounteredData(BaseModel):
    """The seller's counter-offer."""

    proposed_price: float
    message: str
    reason_code: str


class RejectedData(BaseModel):
    """Why the session ended without a deal."""

    reason_code: str


class ActionRequired(BaseModel):
    """What the buyer's human must confirm before the bid is considered."""

    template: Literal["high_value_confirm"] = "high_value_confirm"
    context: dict[str, Any]


class NegotiateResponse(BaseModel):
    """The seller's answer to one bid."""

    session_token: str
    status: NegotiationStatus
    valid_until: datetime
    data: AcceptedData | CounteredData | RejectedData | None = None
    action_required: ActionRequired | None = None


class Deal(BaseModel):
    """A deal, as shown to the buyer who made it."""

    deal_id: str
    item_id: str
    session_token: str
    final_price: float
    currency: str
    reservation_code: str
    created_at: datetime


class DealsPage(BaseModel):
    """The calling agent's deals, newest first; pass `next_before` as `before` for the next page."""

    deals: list[Deal]
    next_before: datetime | None = None
