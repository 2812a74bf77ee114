"""The AutoPilot: steps the lattice over a workspace until its tests pass, a limit is reached, or it is cancelled.

Step 0 runs the tests as given (the reviewer alone). Each step after it is
the engineer revising against the newest verdict and the reviewer rerunning
the tests, billed as one `autopilot_step` under a key of the run and the
step's number, so a step redone after a crash is never billed twice. Every
step is stored before the next begins; the replica driving a run holds a
lease on it, and a run whose lease ran out is taken over (on a replica's
start, or when someone reads it) and continues from its last stored step.
A step a cell could not answer (its host restarting) is tried again.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aura import AuraError, UsageEvent, UsageLedger, ledger_key
from lattice.autopilot.runs import AutopilotRun, AutopilotStore, Order, Status, Step
from lattice.events import AutopilotEvent, SessionBus
from lattice.messages import Role
from lattice.orchestrator import ChatOutcome, ChatPlan, Orchestrator
from lattice.sandbox import Workspace, command_for
from lattice.verdict import Verdict

log = logging.getLogger(__name__)

#: Steps in a row that changed no file before a run stops: the same inputs would give the same failure.
NO_PROGRESS_STEPS = 2
#: Attempts of one step before the run fails (a cell host restarts within a few of them).
ATTEMPTS = 6


class AutopilotNeedsTests(AuraError):
    """AutoPilot steps until tests pass, so it needs test files or a test command."""

    default_code = "autopilot_needs_tests"


class Autopilot:
    """Starts, drives, resumes and cancels AutoPilot runs of this replica."""

    def __init__(
        self,
        store: AutopilotStore,
        orchestrator: Orchestrator,
        usage: UsageLedger,
        events: SessionBus,
        provider: str,
        bounds: Workspace,
        retry_s: float = 1.0,
    ) -> None:
        self.store, self.orchestrator, self.usage, self.events = store, orchestrator, usage, events
        self.provider = provider
        self.bounds = bounds
        self.retry_s = retry_s
        self._driving: dict[str, asyncio.Task[None]] = {}

    async def start(self, order: Order) -> AutopilotRun:
        """Store a new run and start driving it; it goes on after this returns."""
        if command_for(order.workspace, order.test_command) is None:
            raise AutopilotNeedsTests(detail="send test files (test_*.py) or a test_command: the tests decide")
        run = await self.store.create(order)
        self._drive(run)
        return run

    async def get(self, run_id: str, user_id: str) -> AutopilotRun:
        """The user's run; one left without a driver (its replica died) is taken over here."""
        run = await self.store.get(run_id, user_id)
        if run.status == "running" and run_id not in self._driving:
            for orphan in await self.store.claim_orphans(run_id):
                self._drive(orphan)
        return run

    async def cancel(self, run_id: str, user_id: str) -> AutopilotRun:
        """Stop the user's run (at once where this replica drives it); the run as it is now."""
        run = await self.store.cancel(run_id, user_id)
        driver = self._driving.get(run_id)
        if driver is not None:
            driver.cancel()
        self._announce(run)
        return run

    async def cancel_session(self, session_id: str) -> None:
        """Stop the runs of a session that ended."""
        for run_id in await self.store.cancel_session(session_id, "the session ended"):
            driver = self._driving.get(run_id)
            if driver is not None:
                driver.cancel()

    async def resume(self) -> int:
        """Take over every run whose driver is gone; how many."""
        orphans = await self.store.claim_orphans()
        for run in orphans:
            self._drive(run)
        return len(orphans)

    async def wait(self, run_id: str | None = None) -> None:
        """Until this replica's driver of `run_id` (of every run, without one) has stopped."""
        drivers = list(self._driving.values()) if run_id is None else [self._driving[run_id]]
        await asyncio.gather(*drivers, return_exceptions=True)

    def _drive(self, run: AutopilotRun) -> None:
        driver = asyncio.create_task(self._pilot(run))
        self._driving[run.run_id] = driver
        driver.add_done_callback(lambda _: self._driving.pop(run.run_id, None))

    async def _pilot(self, run: AutopilotRun) -> None:
        lease = asyncio.create_task(self._keep_lease(run.run_id))
        try:
            await self._steps(run)
        except asyncio.CancelledError:
            raise
        except Exception:  # the owner sees that it failed; what failed goes to the log
            log.exception("an AutoPilot run failed", extra={"run_id": run.run_id})
            await self._finish(run, None, "failed", "the AutoPilot failed; the error is logged")
        finally:
            lease.cancel()

    async def _keep_lease(self, run_id: str) -> None:
        while True:
            await asyncio.sleep(self.store.lease_s / 3)
            await self.store.renew(run_id)

    async def _steps(self, run: AutopilotRun) -> None:
        workspace = Workspace(dict(run.workspace), self.bounds.max_files, self.bounds.max_bytes)
        verdict: Verdict | None = None
        if not run.steps:
            began = time.perf_counter()
            outcome = await self._attempt(run, ["reviewer"], workspace, None)
            if outcome is None:
                return
            verdict = _verdict(outcome)
            passed = verdict is not None and verdict.tests_pass()
            step = _step(0, outcome, [], time.perf_counter() - began)
            if not await self._finish(
                run, step, "passed" if passed else "running", "the tests pass as given" if passed else None
            ):
                return
            if passed:
                return
        idle = 0
        price = self.usage.prices.price("autopilot_step")
        while True:
            number = run.billed_steps + 1
            if number > run.max_steps:
                await self._finish(run, None, "step_limit", f"{run.max_steps} steps taken; the tests still fail")
                return
            if run.budget_usd is not None and run.spent_usd + price > run.budget_usd:
                over = f"another step ({price} USD) would pass the budget of {run.budget_usd} USD"
                await self._finish(run, None, "budget_reached", over)
                return
            began = time.perf_counter()
            # A resumed run has no verdict in memory: its step starts by running the tests again.
            roles: list[Role] = ["engineer", "reviewer"] if verdict is not None else ["reviewer", "engineer"]
            outcome = await self._attempt(run, roles, workspace, verdict)
            if outcome is None:
                return
            key = ledger_key(run.user_id, run.run_id, f"autopilot_step:{number}")
            await self.usage.record([UsageEvent(run.user_id, "autopilot_step", key, session_id=run.session_id)])
            run.spent_usd += price
            revised = outcome.workspace or workspace
            changed = sorted(
                p
                for p in revised.files.keys() | workspace.files.keys()
                if revised.files.get(p) != workspace.files.get(p)
            )
            workspace, verdict = revised, _verdict(outcome) or verdict
            run.workspace = dict(workspace.files)
            idle = 0 if changed else idle + 1
            status: Status = "running"
            reason: str | None = None
            if verdict is not None and verdict.tests_pass():
                status, reason = "passed", f"the tests pass after step {number}"
            elif idle >= NO_PROGRESS_STEPS:
                status, reason = (
                    "no_progress",
                    f"{idle} steps in a row changed no file; the failure needs another approach",
                )
            if not await self._finish(
                run, _step(number, outcome, changed, time.perf_counter() - began), status, reason
            ):
                return
            if status != "running":
                return

    async def _attempt(
        self, run: AutopilotRun, roles: list[Role], workspace: Workspace, verdict: Verdict | None
    ) -> ChatOutcome | None:
        """One step through the lattice, tried again while a cell cannot answer; None when it never could."""
        plan = ChatPlan(
            session_id=run.session_id,
            prompt=run.goal,
            provider=self.provider,
            agents_enabled=list(roles),
            max_iterations=1,
            workspace=workspace,
            test_command=run.test_command,
            review=verdict,
            synthesize=False,
        )
        failure = "no attempt was made"
        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(min(10.0, self.retry_s * 2 ** (attempt - 1)))
            try:
                outcome = await self.orchestrator.run(plan)
            except AuraError as error:  # the lattice cannot be served now (a host is coming back)
                failure = f"{error.code}: {error.detail}"
                continue
            errors = [s.error for s in outcome.steps if s.error]
            if not errors:
                return outcome
            failure = errors[0]
            log.warning("an AutoPilot step failed; trying again", extra={"run_id": run.run_id, "error": failure})
        await self._finish(run, None, "failed", f"the step failed {ATTEMPTS} times; last: {failure}"[:500])
        return None

    async def _finish(self, run: AutopilotRun, step: Step | None, status: Status, reason: str | None) -> bool:
        """Store the step and status and tell the session's sockets; False when the run was stopped meanwhile."""
        stored = await self.store.record(run, step, status, reason)
        if stored:
            self._announce(run)
        return stored

    def _announce(self, run: AutopilotRun) -> None:
        last = run.steps[-1] if run.steps else None
        self.events.publish(
            run.session_id,
            AutopilotEvent(
                session_id=run.session_id,
                autopilot_id=run.run_id,
                status=run.status,
                step=run.billed_steps,
                passed=None if last is None else last.passed,
                failed=None if last is None else last.failed,
                total=None if last is None else last.total,
                spent_usd=float(run.spent_usd),
                reason=run.reason,
            ),
        )


def _verdict(outcome: ChatOutcome) -> Verdict | None:
    """The newest reviewer verdict of a step."""
    return next((s.verdict for s in reversed(outcome.steps) if s.role == "reviewer" and s.verdict), None)


def _step(number: int, outcome: ChatOutcome, changed: list[str], seconds: float) -> Step:
    run = outcome.run
    tests = run.tests if run is not None else None
    failure = tests.first_failure if tests is not None else None
    return Step(
        number=number,
        passed=0 if tests is None else tests.passed,
        failed=0 if tests is None else tests.failing,
        total=0 if tests is None else tests.total,
        exit_code=None if run is None else run.exit_code,
        changed=changed,
        seconds=round(seconds, 3),
        first_failure=None if failure is None else f"{failure.name}: {failure.message}"[:1000],
    )
