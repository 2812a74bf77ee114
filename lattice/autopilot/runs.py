"""AutoPilot runs as stored: what was asked, each step's outcome, the workspace now, and who drives it."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from aura import AuraError, excerpt
from lattice.sandbox import Workspace

Status = Literal["running", "passed", "step_limit", "budget_reached", "no_progress", "cancelled", "failed"]

_COLUMNS = (
    "run_id, session_id, user_id, goal, test_command, max_steps, budget_usd, status, reason, steps, workspace, "
    "spent_usd, created_at, updated_at"
)


class AutopilotNotFound(AuraError):
    """No such AutoPilot run for this user (someone else's is indistinguishable from a missing one)."""

    default_code = "autopilot_not_found"

    def __init__(self, run_id: str) -> None:
        super().__init__(detail=f"no AutoPilot run {excerpt(run_id)}")


class AutopilotRunning(AuraError):
    """The session already has a running AutoPilot; two would edit the same files against each other."""

    default_code = "autopilot_running"


@dataclass(frozen=True)
class Order:
    """What an owner asks of a new run: the goal, the files and their tests, and its limits."""

    session_id: str
    user_id: str
    goal: str
    workspace: Workspace
    test_command: str | None
    max_steps: int
    budget_usd: Decimal | None = None


@dataclass(frozen=True)
class Step:
    """One AutoPilot step: the tests after it, what the engineer changed, and what it cost."""

    number: int
    passed: int
    failed: int
    total: int
    exit_code: int | None
    changed: list[str]
    seconds: float
    first_failure: str | None = None


@dataclass
class AutopilotRun:
    """A run as stored; `steps` are its finished steps in order (step 0 is the tests before any change)."""

    run_id: str
    session_id: str
    user_id: str
    goal: str
    test_command: str | None
    max_steps: int
    budget_usd: Decimal | None
    status: Status
    reason: str | None
    steps: list[Step]
    workspace: dict[str, str]
    spent_usd: Decimal
    created_at: datetime
    updated_at: datetime

    @property
    def billed_steps(self) -> int:
        """Steps that changed or tried to change code (the baseline run is not one)."""
        return sum(step.number > 0 for step in self.steps)


def _run(row: asyncpg.Record) -> AutopilotRun:
    return AutopilotRun(
        run_id=row["run_id"],
        session_id=row["session_id"],
        user_id=row["user_id"],
        goal=row["goal"],
        test_command=row["test_command"],
        max_steps=row["max_steps"],
        budget_usd=row["budget_usd"],
        status=row["status"],
        reason=row["reason"],
        steps=[Step(**step) for step in json.loads(row["steps"])],
        workspace=json.loads(row["workspace"]),
        spent_usd=row["spent_usd"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class AutopilotStore:
    """Reads and writes `lattice_autopilot_runs`; every read a user makes is scoped to that user."""

    def __init__(self, db: asyncpg.Pool, lease_s: float) -> None:
        self._db = db
        self.lease_s = lease_s

    async def create(self, order: Order) -> AutopilotRun:
        """A new running run, leased to the caller; `AutopilotRunning` if the session has one already."""
        try:
            row = await self._db.fetchrow(
                f"""INSERT INTO lattice_autopilot_runs
                        (run_id, session_id, user_id, goal, test_command, max_steps, budget_usd, workspace, lease_until)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
                    RETURNING {_COLUMNS}""",
                f"ap_{uuid.uuid4().hex}",
                order.session_id,
                order.user_id,
                order.goal,
                order.test_command,
                order.max_steps,
                order.budget_usd,
                json.dumps(order.workspace.files),
                self.lease_s,
            )
        except asyncpg.UniqueViolationError:
            raise AutopilotRunning(detail="this session has a running AutoPilot; cancel it or wait") from None
        return _run(row)

    async def get(self, run_id: str, user_id: str) -> AutopilotRun:
        """The user's run `run_id`."""
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM lattice_autopilot_runs WHERE run_id = $1 AND user_id = $2", run_id, user_id
        )
        if row is None:
            raise AutopilotNotFound(run_id)
        return _run(row)

    async def record(self, run: AutopilotRun, step: Step | None, status: Status, reason: str | None) -> bool:
        """Store a finished step (or only a status) and the workspace, renewing the lease.

        Only a running run takes it: False when the run was cancelled (or
        finished elsewhere) meanwhile, and the driver stops.
        """
        steps = [*run.steps, step] if step is not None else run.steps
        row = await self._db.fetchrow(
            """UPDATE lattice_autopilot_runs
               SET steps = $2, workspace = $3, spent_usd = $4, status = $5, reason = $6, updated_at = now(),
                   lease_until = CASE WHEN $5 = 'running' THEN now() + make_interval(secs => $7) END
               WHERE run_id = $1 AND status = 'running'
               RETURNING updated_at""",
            run.run_id,
            json.dumps([asdict(s) for s in steps]),
            json.dumps(run.workspace),
            run.spent_usd,
            status,
            reason,
            self.lease_s,
        )
        if row is None:
            return False
        run.steps, run.status, run.reason, run.updated_at = steps, status, reason, row["updated_at"]
        return True

    async def renew(self, run_id: str) -> None:
        """Keep the lease of a run this replica drives."""
        await self._db.execute(
            """UPDATE lattice_autopilot_runs SET lease_until = now() + make_interval(secs => $2)
               WHERE run_id = $1 AND status = 'running'""",
            run_id,
            self.lease_s,
        )

    async def cancel(self, run_id: str, user_id: str) -> AutopilotRun:
        """Stop the user's run if it is still running; the run as it is now either way."""
        await self._db.execute(
            """UPDATE lattice_autopilot_runs
               SET status = 'cancelled', reason = 'cancelled by its owner', lease_until = NULL, updated_at = now()
               WHERE run_id = $1 AND user_id = $2 AND status = 'running'""",
            run_id,
            user_id,
        )
        return await self.get(run_id, user_id)

    async def cancel_session(self, session_id: str, reason: str) -> list[str]:
        """Stop every running run of a session (it ended); their ids."""
        rows = await self._db.fetch(
            """UPDATE lattice_autopilot_runs
               SET status = 'cancelled', reason = $2, lease_until = NULL, updated_at = now()
               WHERE session_id = $1 AND status = 'running' RETURNING run_id""",
            session_id,
            reason,
        )
        return [row["run_id"] for row in rows]

    async def claim_orphans(self, run_id: str | None = None) -> list[AutopilotRun]:
        """Take over running runs whose driver's lease ran out (all of them, or just `run_id`)."""
        rows = await self._db.fetch(
            f"""UPDATE lattice_autopilot_runs SET lease_until = now() + make_interval(secs => $1)
                WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now())
                  AND ($2::text IS NULL OR run_id = $2)
                RETURNING {_COLUMNS}""",
            self.lease_s,
            run_id,
        )
        return [_run(row) for row in rows]
