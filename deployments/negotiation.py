"""Negotiation routes: `POST /v1/search`, `POST /v1/negotiate`, `GET /v1/deals[/{deal_id}]`, with signed agent auth."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from aura import current_trace_id, stage
from aura.settings import get_settings
from deployments.contract import error_responses
from deployments.errors import ErrorBody
from deployments.limits import limited_address
from deployments.params import IsoDatetime
from deployments.replica import IDEMPOTENCY_KEY, database, replica
from negotiation import (
    Deal,
    DealsPage,
    NegotiateRequest,
    NegotiateResponse,
    NegotiationError,
    NegotiationService,
    SearchRequest,
    SearchResponse,
    SignedRequest,
)

router = APIRouter(tags=["negotiation"])

_AUTH_ERRORS = error_responses(401, 429)


async def negotiation_service(request: Request) -> NegotiationService:
    """The negotiation service of the app serving `request` (built on first use)."""

    async def build() -> NegotiationService:
        return NegotiationService(await database(), get_settings().negotiation)

    return await replica(request).get("negotiation", build)


async def signed_request(request: Request) -> SignedRequest:
    """This request's signature headers, to be verified and admitted by whoever handles it (401 if absent)."""
    return SignedRequest.from_headers(request.method, request.url.path, request.headers, await request.body())


async def _admit(request: Request, response: Response, service: NegotiationService) -> str:
    signed = await signed_request(request)
    with stage("admit"):
        admission = await service.gate.admit_ticket(service.gate.verify(signed))
    response.headers.update(admission.headers)
    return admission.agent_did


async def signed_agent(request: Request, response: Response) -> str:
    """The DID of the agent that signed this request (401/429 otherwise)."""
    return await _admit(request, response, await negotiation_service(request))


async def optional_agent(request: Request, response: Response) -> str | None:
    """The signing agent's DID if the request is signed, None for an anonymous one."""
    if "x-agent-id" not in request.headers:
        return None
    return await _admit(request, response, await negotiation_service(request))


def _with_limits(error: NegotiationError, response: Response) -> NegotiationError:
    """An admitted agent's refusal, carrying its rate-limit headers like any answer."""
    if not error.headers:
        error.headers = {k: v for k, v in response.headers.items() if k.lower().startswith("x-ratelimit-")}
    return error


@router.post("/v1/search", response_model=SearchResponse, responses=_AUTH_ERRORS)
async def search(
    body: SearchRequest, request: Request, response: Response, agent: str | None = Depends(optional_agent)
) -> SearchResponse:
    """Active catalog items closest in meaning to the query.

    Signing is optional: a signed search spends its agent's tokens, an unsigned one its client address's.
    """
    if agent is None:
        await limited_address(request, response)
    return await (await negotiation_service(request)).search(body)


@router.post(
    "/v1/negotiate",
    response_model=NegotiateResponse,
    response_model_exclude_none=True,
    responses={
        **_AUTH_ERRORS,
        403: {"model": ErrorBody, "description": "`agent_mismatch`: `agent_did` is not the signing agent."},
        404: {
            "model": ErrorBody,
            "description": "`unknown_item`, or `session_not_found` for a session token that names no session.",
        },
        409: {
            "model": ErrorBody,
            "description": "`session_conflict`: the session changed while the bid was decided; send it again.",
        },
        410: {
            "model": ErrorBody,
            "description": "`session_expired`: the negotiation session is past its validity; start a new one.",
        },
    },
)
async def negotiate(
    body: NegotiateRequest,
    request: Request,
    response: Response,
    signed: SignedRequest = Depends(signed_request),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> NegotiateResponse:
    """Bid on an item: accepted, countered, rejected, or ui_required (re-send with `confirmed: true`).

    After a 503, send the bid again (signed anew) with the same `Idempotency-Key`: if the first sending
    was decided, its answer comes back and nothing is decided twice.
    """
    answer, admission = await (await negotiation_service(request)).negotiate(
        signed, body, current_trace_id(), idempotency_key
    )
    response.headers.update(admission.headers)
    return answer


@router.get("/v1/deals", response_model=DealsPage, responses=_AUTH_ERRORS)
async def deals(
    request: Request,
    response: Response,
    limit: int = Query(default=50, ge=1, le=200),
    before: IsoDatetime | None = Query(default=None, description="Only deals made before this time."),
    agent: str = Depends(signed_agent),
) -> DealsPage:
    """The signing agent's deals, newest first, a page at a time."""
    return await (await negotiation_service(request)).deals(agent, limit, before)


@router.get("/v1/deals/{deal_id}", response_model=Deal, responses=_AUTH_ERRORS)
async def deal(
    request: Request,
    response: Response,
    deal_id: str = Path(min_length=1, max_length=64),
    agent: str = Depends(signed_agent),
) -> Deal:
    """A deal, shown only to the agent that made it (404 to anyone else)."""
    try:
        return await (await negotiation_service(request)).deal(deal_id, agent)
    except NegotiationError as error:
        raise _with_limits(error, response) from None
