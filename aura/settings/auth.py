"""Settings of bearer tokens: the HS256 secret, audience, issuer, JWKS, lifetimes."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from aura.settings.section import Section


class AuthSettings(Section):
    """How tokens are minted and checked."""

    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 secret for bearer tokens; unset: generated once into {data_dir}/jwt_secret."
    )
    jwt_audience: str = Field(default="aura", description="The `aud` every token must carry.")
    jwt_issuer: str | None = Field(default=None, description="When set, the `iss` every token must carry.")
    jwks_url: str | None = Field(default=None, description="Verify asymmetric tokens against this JWKS.")
    token_ttl_s: int = Field(default=24 * 3600, ge=60, description="Lifetime of tokens minted by `aura token`.")
    jwt_max_lifetime_s: int = Field(
        default=30 * 24 * 3600,
        ge=60,
        description="Longest lifetime (`exp` − `iat`) a token may claim; a token claiming more is refused.",
    )
    jwt_leeway_s: int = Field(default=30, ge=0, description="Clock skew tolerated on `exp`.")
    jwt_allow_local: bool = Field(
        default=False,
        description="With `jwks_url` set, also accept HS256 tokens signed with this machine's secret "
        "(off: only the identity provider's keys sign tokens then).",
    )

    @model_validator(mode="after")
    def _ttl_within_lifetime(self) -> AuthSettings:
        if self.token_ttl_s > self.jwt_max_lifetime_s:
            raise ValueError("token_ttl_s exceeds jwt_max_lifetime_s: minted tokens would be refused")
        return self
