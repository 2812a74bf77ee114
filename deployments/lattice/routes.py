"""The lattice's HTTP routes under `/v1/aura`: sessions, chat, lattice, messages, traces, usage and health."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from aura import AuraError, Principal, Refused, Stored, UsageSummary, fingerprint
from aura.settings import get_settings
from deployments.contract import BEARER, error_responses
from deployments.lattice import autopilot, websocket
from deployments.lattice.service import lattice_service
from deployments.limits import limited_user
from deployments.params import MAX_ID, IsoDatetime
from deployments.replica import IDEMPOTENCY_KEY
from lattice import (
    AgentResponse,
    AuraHealth,
    CellHealth,
    ChatRequest,
    ChatResponse,
    ConsciousnessMetrics,
    LatticeService,
    LatticeView,
    MessageOut,
    MessagesOut,
    RunOut,
    Session,
    SessionOut,
    TracesOut,
    WorkspaceFile,
    agent_id,
)
from lattice.sandbox import Workspace, shared_sandbox

router = APIRouter(prefix="/v1/aura", tags=["aura"])
#: Bearer callers, each request spending a token of its user's bucket; chats also spend one of their own.
current_user = limited_user()
chatting_user = limited_user("chat")
router.include_router(websocket.router)
router.include_router(autopilot.router)


def _session_out(session: Session) -> SessionOut:
    return SessionOut(
        session_id=session.session_id, created_at=session.created_at, status=session.status, ended_at=session.ended_at
    )


async def _owned(svc: LatticeService, session_id: str, user: Principal) -> Session:
    return await svc.sessions.get(session_id, user.user_id)


@router.post("/sessions", response_model=SessionOut, status_code=201, responses=BEARER)
async def create_session(
    user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> SessionOut:
    """Start a chat session owned by the caller (at most `max_sessions_per_user` active ones)."""
    return _session_out(await svc.sessions.create(user.user_id, svc.settings.max_sessions_per_user))


@router.post("/sessions/{session_id}/end", response_model=SessionOut, responses=BEARER)
async def end_session(
    session_id: str, user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> SessionOut:
    """End a session; later chats in it answer 409, its WebSockets close and its cells are deactivated."""
    return _session_out(await svc.end(session_id, user.user_id))


#: How long a chat's `Idempotency-Key` is held for its first sending before a resend may run it anew.
_CHAT_LEASE_S = 1800.0


@router.post(
    "/chat",
    response_model=ChatResponse,
    response_model_by_alias=True,
    responses=error_responses(401, 404, 409, 429),
)
async def chat(
    body: ChatRequest,
    user: Principal = Depends(chatting_user),
    svc: LatticeService = Depends(lattice_service),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    """Run the prompt through the selected workflow of cells; live progress goes to the session's WebSocket.

    With an `Idempotency-Key`, a resend of the same request gets the first answer (billed once, run once);
    the same key with another request is a 409 `idempotency_key_reused`.
    """
    if idempotency_key is None:
        return await _chat(body, user, svc, None)
    scope = f"chat:{user.user_id}"
    digest = fingerprint("POST /v1/aura/chat", body.model_dump(mode="json"))
    claim = await svc.idempotency.claim(scope, idempotency_key, digest, _CHAT_LEASE_S)
    if isinstance(claim, Stored):
        return JSONResponse(claim.response, status_code=claim.status_code, headers={"Idempotent-Replayed": "true"})
    if isinstance(claim, Refused):
        if claim.reason == "key_reused":
            raise AuraError("idempotency_key_reused", "this Idempotency-Key was used for another request")
        raise AuraError("request_in_progress", "a chat with this Idempotency-Key is running", {"Retry-After": "5"})
    try:
        answer = await _chat(body, user, svc, idempotency_key)
    except BaseException:
        await svc.idempotency.release(scope, idempotency_key)
        raise
    await svc.idempotency.complete(scope, idempotency_key, 200, answer.model_dump(mode="json", by_alias=True))
    return answer


def _workspace(body: ChatRequest) -> Workspace | None:
    """The request's files as a workspace, within the sandbox settings' bounds (else a 422 `invalid_workspace`)."""
    if body.files is None:
        return None
    return Workspace.within(get_settings().sandbox, ((f.path, f.content) for f in body.files))


async def _chat(body: ChatRequest, user: Principal, svc: LatticeService, idempotency_key: str | None) -> ChatResponse:
    workspace = _workspace(body)
    session = await svc.sessions.active(body.session_id, user.user_id)
    result = await svc.chat(
        session,
        body.prompt,
        agents_enabled=body.agents_enabled,
        max_iterations=body.max_iterations,
        temperature=body.temperature,
        quantum_enhanced=body.quantum_enhanced,
        idempotency_key=idempotency_key,
        workspace=workspace,
        test_command=body.test_command,
    )
    outcome = result.outcome
    quantum = result.quantum
    traces = None
    if body.include_traces:
        chat_steps = {s.step_id for s in outcome.steps}
        traces = [
            e
            for e in await svc.traces(session)
            if isinstance(e.get("inputs"), dict) and e["inputs"].get("step_id") in chat_steps
        ]
    return ChatResponse(
        session_id=session.session_id,
        final_response=result.final_response,
        agent_responses=[
            AgentResponse(
                agent_id=agent_id(s.role, session.session_id),
                agent_type=s.role,
                response=s.response,
                confidence=s.confidence,
                metrics={
                    **s.metrics,
                    "step_id": s.step_id,
                    "iteration": s.iteration,
                    "verdict": None if s.verdict is None else s.verdict.as_dict(),
                    "error": s.error,
                },
            )
            for s in outcome.steps
        ],
        total_iterations=outcome.iterations,
        execution_time_ms=round(outcome.elapsed_ms, 3),
        workflow=outcome.workflow.name,
        provider=svc.provider,
        consciousness_metrics=None
        if quantum is None or quantum.metrics is None
        else ConsciousnessMetrics(**quantum.metrics),
        quantum_backend_used=None if quantum is None else quantum.backend,
        quantum_reason=None if quantum is None else quantum.reason,
        traces=traces,
        files=None
        if outcome.workspace is None
        else [WorkspaceFile(path=path, content=text) for path, text in sorted(outcome.workspace.files.items())],
        tests=None if outcome.run is None else RunOut.model_validate(outcome.run.as_dict()),
    )


@router.get("/sessions/{session_id}/lattice", response_model=LatticeView, responses=BEARER)
async def get_lattice(
    session_id: str, user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> LatticeView:
    """The session's six cells: role vectors, signatures, positions, links, and the lattice's coherence."""
    return await svc.lattice(await _owned(svc, session_id, user))


@router.get("/sessions/{session_id}/messages", response_model=MessagesOut, responses=BEARER)
async def get_messages(
    session_id: str,
    limit: int = Query(default=50, ge=1, le=500),
    before: int | None = Query(default=None, ge=1, le=MAX_ID, description="A message id: older ones only."),
    user: Principal = Depends(current_user),
    svc: LatticeService = Depends(lattice_service),
) -> MessagesOut:
    """The session's messages, newest first, a page at a time."""
    session = await _owned(svc, session_id, user)
    found = await svc.sessions.messages(session.session_id, limit + 1, before)
    page = found[:limit]
    return MessagesOut(
        session_id=session_id,
        messages=[MessageOut(**m.__dict__) for m in page],
        has_more=len(found) > limit,
        next_before=page[-1].message_id if len(found) > limit else None,
    )


@router.get(
    "/sessions/{session_id}/traces",
    response_model=TracesOut,
    responses={200: {"content": {"application/x-ndjson": {}}}, **BEARER},
)
async def get_traces(
    session_id: str,
    format: Literal["json", "jsonl"] = "json",
    user: Principal = Depends(current_user),
    svc: LatticeService = Depends(lattice_service),
) -> Any:
    """Every step of every cell in the session: inputs, outputs, timing, errors."""
    events = await svc.traces(await _owned(svc, session_id, user))
    if format == "jsonl":
        return PlainTextResponse("".join(json.dumps(e) + "\n" for e in events), media_type="application/x-ndjson")
    return TracesOut(session_id=session_id, events=events)


@router.get("/usage", response_model=UsageSummary, responses=BEARER)
async def get_usage(
    start_date: IsoDatetime | None = None,
    end_date: IsoDatetime | None = None,
    user: Principal = Depends(current_user),
    svc: LatticeService = Depends(lattice_service),
) -> UsageSummary:
    """The caller's billable usage in [start_date, end_date), priced by the configured table."""
    if start_date is not None and end_date is not None and end_date <= start_date:
        raise AuraError("invalid_period", "end_date must be after start_date")
    return await svc.usage.summary(user.user_id, _utc(start_date), _utc(end_date))


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@router.get("/health", response_model=AuraHealth)
async def aura_health(svc: LatticeService = Depends(lattice_service)) -> AuraHealth:
    """Whether every cell host answers, which provider runs, what quantum and billing can do, and whether code runs."""
    alive = await svc.directory.alive()
    sandbox_problem = await shared_sandbox().check()
    cells = [CellHealth(role=role, host=svc.directory.groups[role].names[0], alive=ok) for role, ok in alive.items()]
    return AuraHealth(
        status="ok" if all(alive.values()) else "degraded",
        provider=svc.provider,
        cells=cells,
        quantum_available=svc.quantum.available,
        billing="stripe" if get_settings().billing.stripe_secret_key is not None else "ledger_only",
        sandbox="available" if sandbox_problem is None else "unavailable",
        sandbox_reason=sandbox_problem,
    )
