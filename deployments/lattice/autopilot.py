"""AutoPilot's HTTP routes under `/v1/aura/autopilot`: start a run, read it, cancel it (owners only)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from fastapi import APIRouter, Depends

from aura import Principal
from aura.settings import get_settings
from deployments.contract import BEARER, error_responses
from deployments.lattice.service import lattice_service
from deployments.limits import limited_user
from lattice import AutopilotOut, AutopilotRequest, AutopilotStepOut, LatticeService, WorkspaceFile
from lattice.autopilot import AutopilotRun, Order
from lattice.sandbox import Workspace

router = APIRouter(prefix="/autopilot")
current_user = limited_user()


def autopilot_out(run: AutopilotRun) -> AutopilotOut:
    """A run as the API gives it."""
    return AutopilotOut(
        autopilot_id=run.run_id,
        session_id=run.session_id,
        goal=run.goal,
        status=run.status,
        reason=run.reason,
        max_steps=run.max_steps,
        budget_usd=run.budget_usd,
        spent_usd=run.spent_usd,
        steps=[AutopilotStepOut(**asdict(step)) for step in run.steps],
        files=[WorkspaceFile(path=path, content=text) for path, text in sorted(run.workspace.items())],
        created_at=run.created_at,
        updated_at=run.updated_at,
    )


@router.post(
    "",
    response_model=AutopilotOut,
    status_code=202,
    responses=error_responses(401, 404, 409, 429),
)
async def start_autopilot(
    body: AutopilotRequest, user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> AutopilotOut:
    """Start stepping the lattice over the files until their tests pass; progress streams on the session's socket.

    It stops when the tests pass, after `max_steps`, before a step would pass `budget_usd`, after two steps
    that changed nothing, or when cancelled. Each step is one `autopilot_step` usage event.
    """
    workspace = Workspace.within(get_settings().sandbox, ((f.path, f.content) for f in body.files))
    session = await svc.sessions.active(body.session_id, user.user_id)
    order = Order(
        session.session_id,
        user.user_id,
        body.goal,
        workspace,
        body.test_command,
        body.max_steps,
        None if body.budget_usd is None else Decimal(str(body.budget_usd)),
    )
    run = await svc.autopilot.start(order)
    return autopilot_out(run)


@router.get("/{autopilot_id}", response_model=AutopilotOut, responses=BEARER)
async def get_autopilot(
    autopilot_id: str, user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> AutopilotOut:
    """The run's status, its steps and the workspace as it is now."""
    return autopilot_out(await svc.autopilot.get(autopilot_id, user.user_id))


@router.post("/{autopilot_id}/cancel", response_model=AutopilotOut, responses=BEARER)
async def cancel_autopilot(
    autopilot_id: str, user: Principal = Depends(current_user), svc: LatticeService = Depends(lattice_service)
) -> AutopilotOut:
    """Stop the run; a run that already stopped is returned as it is."""
    return autopilot_out(await svc.autopilot.cancel(autopilot_id, user.user_id))
