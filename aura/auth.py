"""Bearer JWTs: minting development tokens and verifying them locally (HS256 secret or a JWKS URL)."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jwt
import typer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from aura.settings import Settings, get_settings

_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"]


class AuthSettings(BaseSettings):
    """How tokens are checked: audience, optional issuer, optional JWKS URL for asymmetric keys."""

    model_config = SettingsConfigDict(env_prefix="AURA_", env_file=".env", extra="ignore")

    jwt_audience: str = Field(default="aura", description="The `aud` every token must carry.")
    jwt_issuer: str | None = Field(default=None, description="When set, the `iss` every token must carry.")
    jwks_url: str | None = Field(default=None, description="Verify asymmetric tokens against this JWKS.")
    token_ttl_s: int = Field(default=24 * 3600, ge=60, description="Lifetime of tokens minted by `aura token`.")
    jwt_leeway_s: int = Field(default=30, ge=0, description="Clock skew tolerated on `exp`.")


class AuthError(Exception):
    """A token that cannot be accepted; the message says why (never the token itself)."""


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    user_id: str
    expires_at: int


def jwt_secret(settings: Settings) -> str:
    """The HS256 secret: the configured one, else one generated once and kept in `{data_dir}/jwt_secret` (0600).

    Persisting it lets `aura token` and the server, separate processes, agree
    without anyone configuring a secret on a development machine.
    """
    if settings.jwt_secret is not None and settings.jwt_secret.get_secret_value():
        return settings.jwt_secret.get_secret_value()
    path: Path = settings.data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes race, exactly one writes and both read the winner.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(candidate)
    return candidate


def mint_token(user_id: str, *, ttl_s: int | None = None, settings: Settings | None = None,
               auth: AuthSettings | None = None) -> str:
    """An HS256 token for `user_id` with the configured audience (and issuer), valid `ttl_s` seconds."""
    if not user_id.strip():
        raise ValueError("user id is empty")
    settings = settings or get_settings()
    auth = auth or AuthSettings()
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "aud": auth.jwt_audience, "iat": now,
                                 "exp": now + (ttl_s or auth.token_ttl_s)}
    if auth.jwt_issuer:
        claims["iss"] = auth.jwt_issuer
    return jwt.encode(claims, jwt_secret(settings), algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # The client caches the key set, so keys are fetched once, not per request.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


class TokenVerifier:
    """Verifies bearer tokens: signature, `exp`, `aud` (and `iss`), and a non-empty `sub`."""

    def __init__(self, settings: Settings | None = None, auth: AuthSettings | None = None) -> None:
        self._settings = settings or get_settings()
        self._auth = auth or AuthSettings()
        self._secret = jwt_secret(self._settings)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `AuthError` otherwise.

        The JWKS path runs a blocking HTTP fetch on a cache miss; callers on an
        event loop run it in a thread (see `verify_async`).
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {exc}") from None
        algorithm = header.get("alg")
        if algorithm == "HS256":
            key: object = self._secret
        elif algorithm in _ASYMMETRIC and self._auth.jwks_url:
            try:
                key = _jwks_client(self._auth.jwks_url).get_signing_key_from_jwt(token).key
            except jwt.PyJWTError as exc:
                raise AuthError(f"no signing key for token: {exc}") from None
        else:
            raise AuthError(f"algorithm {algorithm!r} is not accepted")
        try:
            claims = jwt.decode(
                token, key, algorithms=[algorithm], audience=self._auth.jwt_audience,
                issuer=self._auth.jwt_issuer, leeway=self._auth.jwt_leeway_s,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(str(exc)) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("token has no subject")
        return Principal(user_id=subject, expires_at=int(claims["exp"]))

    async def verify_async(self, token: str) -> Principal:
        """`verify` without blocking the event loop when a JWKS fetch may be needed."""
        if self._auth.jwks_url is None:
            return self.verify(token)
        return await asyncio.to_thread(self.verify, token)


def token_cli(
    user: str = typer.Option(..., "--user", help="The user id the token speaks for (its `sub`)."),
    ttl: int = typer.Option(0, "--ttl", help="Lifetime in seconds (default: AURA_TOKEN_TTL_S, 24 h)."),
) -> None:
    """Mint a development bearer token for USER, signed with this machine's HS256 secret."""
    typer.echo(mint_token(user, ttl_s=ttl or None))
