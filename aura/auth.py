"""Bearer JWTs: minting development tokens and verifying them locally (HS256 secret or a JWKS URL)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from aura.errors import AuraError
from aura.server_secrets import server_secret
from aura.settings import AuthSettings, Settings, get_settings

_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"]


class AuthError(AuraError):
    """A token that cannot be accepted; the detail says why (never the token itself)."""

    default_code = "invalid_token"


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    user_id: str
    expires_at: int


def jwt_secret(settings: Settings) -> str:
    """The HS256 secret: the configured one, else one generated once and kept in `{data_dir}/jwt_secret` (0600).

    Raises `SecretUnusable` for an empty secret, so a server refuses to start
    rather than refuse every token.
    """
    return server_secret(settings.data_dir, "jwt_secret", settings.auth.jwt_secret)


def mint_token(
    user_id: str, *, ttl_s: int | None = None, settings: Settings | None = None, auth: AuthSettings | None = None
) -> str:
    """An HS256 token for `user_id` with the configured audience (and issuer), valid `ttl_s` seconds."""
    if not user_id.strip():
        raise ValueError("user id is empty")
    settings = settings or get_settings()
    auth = auth or settings.auth
    lifetime = ttl_s or auth.token_ttl_s
    if lifetime > auth.jwt_max_lifetime_s:
        raise ValueError(f"a lifetime of {lifetime} s exceeds the {auth.jwt_max_lifetime_s} s tokens may have")
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "aud": auth.jwt_audience, "iat": now, "exp": now + lifetime}
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
        self._auth = auth or self._settings.auth
        # Read now, so a server with an unusable secret fails at start-up, not at every request.
        self._secret = jwt_secret(self._settings)
        self._local = self._auth.jwks_url is None or self._auth.jwt_allow_local

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `AuthError` otherwise.

        The JWKS path runs a blocking HTTP fetch on a cache miss; callers on an
        event loop run it in a thread (see `verify_async`).
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(detail=f"malformed token: {exc}") from None
        algorithm = header.get("alg")
        if algorithm == "HS256" and self._local:
            key: Any = self._secret
        elif algorithm in _ASYMMETRIC and self._auth.jwks_url:
            try:
                key = _jwks_client(self._auth.jwks_url).get_signing_key_from_jwt(token).key
            except jwt.PyJWTError as exc:
                raise AuthError(detail=f"no signing key for token: {exc}") from None
        else:
            raise AuthError(detail=f"algorithm {algorithm!r} is not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._auth.jwt_audience,
                issuer=self._auth.jwt_issuer,
                leeway=self._auth.jwt_leeway_s,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(detail=str(exc)) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError(detail="token has no subject")
        self._check_lifetime(claims)
        return Principal(user_id=subject, expires_at=int(claims["exp"]))

    def _check_lifetime(self, claims: dict) -> None:
        """Refuse a token that claims to live longer than tokens may (from `iat`, or from now without one)."""
        now = time.time()
        issued = claims.get("iat")
        # An `iat` in the future would stretch the allowance; now is the latest a token can have been issued.
        start = min(now, float(issued)) if isinstance(issued, int | float) else now
        if float(claims["exp"]) - start > self._auth.jwt_max_lifetime_s + self._auth.jwt_leeway_s:
            raise AuthError(detail=f"token lifetime exceeds the {self._auth.jwt_max_lifetime_s} s maximum")

    async def verify_async(self, token: str) -> Principal:
        """`verify` without blocking the event loop when a JWKS fetch may be needed."""
        if self._auth.jwks_url is None:
            return self.verify(token)
        return await asyncio.to_thread(self.verify, token)
