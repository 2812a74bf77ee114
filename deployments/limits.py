"""Rate limits of the routes that agents' signatures do not limit: bearer routes per user, unsigned search per address.

Every bearer request spends a token of its user's bucket (`user_per_minute`);
chats and quantum runs spend one of a bucket of their own as well
(`chat_per_minute`, `quantum_per_minute`), being the expensive kinds. An
unsigned search spends one of its client address's
(`search_per_minute`); a signed one is limited by its agent's DID instead.
A refusal is a 429 `rate_limited` with `Retry-After`; answers carry the
`X-RateLimit-*` headers of the bucket that limits them most.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request, Response
from starlette.requests import HTTPConnection

from aura import AuraError, Principal, Rate, RateLimiter
from aura.settings import get_settings
from deployments.auth import current_user
from deployments.metrics import RATE_LIMITED
from deployments.replica import database, replica


async def _limiter() -> RateLimiter:
    return RateLimiter(await database())


async def spend(
    connection: HTTPConnection, bucket: str, rate: Rate, response: Response | None = None
) -> dict[str, str]:
    """Spend a token of `bucket`, or raise 429 `rate_limited`; the headers are set on `response` when given."""
    verdict = await (await replica(connection).get("rate_limiter", _limiter)).take(bucket, rate)
    if not verdict.allowed:
        # The bucket's kind (`user`, `chat`, `quantum`, `search`), never the user or address that follows it.
        RATE_LIMITED.inc(bucket=bucket.split(":", 1)[0])
        raise AuraError("rate_limited", f"more than {rate.per_minute} requests a minute", verdict.headers)
    if response is not None:
        response.headers.update(verdict.headers)
    return verdict.headers


def limited_user(kind: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller's principal, once its user bucket (and the `kind` bucket, if any) gave a token."""
    rates = {
        "chat": lambda: Rate(get_settings().limits.chat_per_minute),
        "quantum": lambda: Rate(get_settings().limits.quantum_per_minute),
    }
    if kind is not None and kind not in rates:
        raise ValueError(f"no rate limit for {kind!r}")

    async def dependency(request: Request, response: Response, user: Principal = Depends(current_user)) -> Principal:
        settings = get_settings()
        await spend(request, f"user:{user.user_id}", Rate(settings.limits.user_per_minute), response)
        if kind is not None:
            await spend(request, f"{kind}:user:{user.user_id}", rates[kind](), response)
        return user

    return dependency


async def limited_address(request: Request, response: Response) -> None:
    """Spend a token of the client address's search bucket (for unsigned searches)."""
    address = request.client.host if request.client is not None else "unknown"
    await spend(request, f"search:ip:{address}", Rate(get_settings().limits.search_per_minute), response)
