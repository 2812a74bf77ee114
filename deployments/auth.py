"""Bearer-token authentication of the bearer routes and the WebSocket: the caller's user id, or 401."""

from __future__ import annotations

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection, Request

from aura import AuraError, AuthError, Principal, TokenVerifier
from deployments.replica import replica

_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the user id (`aura token --user ID`).")


def verifier(connection: HTTPConnection) -> TokenVerifier:
    """The token verifier of the app serving `connection` (built with the app, so a bad secret fails it early)."""
    found = replica(connection).built("verifier")
    if found is None:
        raise RuntimeError("the app was built without a token verifier (deployments.app.build_api builds one)")
    return found


async def current_user(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    """The principal of the request's bearer token; 401 when it is missing or invalid."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuraError("unauthenticated", "a bearer token is required", headers=challenge)
    try:
        return await verifier(request).verify_async(credentials.credentials)
    except AuthError as exc:
        raise AuraError("invalid_token", exc.detail, headers=challenge) from None
