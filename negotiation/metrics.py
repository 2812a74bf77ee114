"""The negotiation service's metrics: bids by outcome, deals, guard corrections, LLM fallbacks, refusals."""

from __future__ import annotations

from aura import counter

BIDS = counter("aura_bids_total", "Bids a seller answered, by the answer's status.", ("status",))
DEALS = counter("aura_deals_total", "Deals closed.")
CORRECTIONS = counter(
    "aura_guard_corrections_total", "Seller answers the guard rails corrected, by correction.", ("correction",)
)
FALLBACKS = counter(
    "aura_llm_fallbacks_total", "Bids the LLM strategy handed to its rule-based fallback, by reason.", ("reason",)
)
REFUSALS = counter(
    "aura_signed_refusals_total", "Signed requests refused before a seller saw them, by code.", ("code",)
)
