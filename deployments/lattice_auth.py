"""Bearer-token authentication for the `/v1/aura` routes: the caller's user id, or 401."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aura.auth import AuthError, Principal, TokenVerifier
from aura.errors import AuraError

_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the user id (`aura token --user ID`).")


@lru_cache(maxsize=1)
def verifier() -> TokenVerifier:
    """This replica's token verifier (reads the secret once)."""
    return TokenVerifier()


async def current_user(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """The principal of the request's bearer token; 401 when it is missing or invalid."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuraError("unauthenticated", "a bearer token is required", headers=challenge)
    try:
        return await verifier().verify_async(credentials.credentials)
    except AuthError as exc:
        raise AuraError("invalid_token", exc.detail, headers=challenge) from None
