"""Settings of the negotiation service: limits, session rules, seller hosts, Mistral."""

from __future__ import annotations

from pydantic import Field, SecretStr

from aura.settings.section import Section, conventional


class NegotiationSettings(Section):
    """Limits, session rules and the Mistral endpoint of the negotiation service."""

    rate_limit_per_minute: int = Field(default=100, ge=1, description="Token bucket per agent DID, across replicas.")
    rate_limit_burst: int | None = Field(
        default=None, ge=1, description="Bucket size; defaults to the per-minute rate."
    )
    clock_skew_s: int = Field(default=60, ge=1, description="How far X-Timestamp may be from the server clock.")
    session_ttl_s: float = Field(default=900.0, gt=0, description="A session's lifetime from its first bid.")
    max_rounds: int = Field(
        default=8, ge=1, le=100, description="Bids per session; the last one is accepted or rejected."
    )
    confirm_threshold: float = Field(
        default=2000.0,
        gt=0,
        description="Bids above this need `confirmed: true` unless the item sets its own threshold.",
    )
    seller_hosts: int = Field(
        default=1,
        ge=1,
        description="Ray actors hosting the seller logical actors. One host decides and stores a few thousand bids/s, "
        "several gateway replicas' worth; each more host is one more batch per round of bids.",
    )
    seller_target_score: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="The outcome a seller's W2 loop steers toward: the share it keeps of the way from its "
        "session's curve end (above the floor) to the list price.",
    )
    item_cache_s: float = Field(default=5.0, ge=0, description="How long a replica reuses an item's terms.")
    max_open_sessions: int = Field(
        default=2000, ge=1, description="Open sessions a seller keeps for one item; past it new sessions wait (429)."
    )
    max_buyer_sessions: int = Field(
        default=20, ge=1, description="Open sessions one agent may hold with one item's seller."
    )
    curve_secret: SecretStr | None = Field(
        default=None, description="Seeds each session's private concession curve; unset: {data_dir}/curve_secret."
    )
    mistral_api_key: SecretStr | None = Field(
        default=None,
        description="Mistral key: `llm` sellers and semantic search embeddings.",
        json_schema_extra=conventional("MISTRAL_API_KEY"),
    )
    mistral_server_url: str | None = Field(
        default=None,
        description="Mistral API base URL; unset uses the SDK's default (api.mistral.ai).",
        json_schema_extra=conventional("MISTRAL_SERVER_URL"),
    )
    mistral_chat_model: str = Field(default="mistral-small-latest", description="Model of `llm` sellers.")
    mistral_embed_model: str = Field(default="mistral-embed", description="Model of catalog embeddings.")
    llm_timeout_ms: int = Field(
        default=4000, ge=50, description="One chat completion's time limit; past it, concession decides."
    )

    @property
    def bucket_size(self) -> int:
        """The token bucket's capacity."""
        return self.rate_limit_burst or self.rate_limit_per_minute
