"""The lattice as one process-wide service: sessions, chats, the lattice view, traces, usage, live events.

The gateway holds one `LatticeService`; HTTP and WebSocket routes only
translate to and from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import asyncpg

from aura import AuraError, IdempotencyStore, UsageEvent, UsageLedger, ledger_key
from aura.settings import LatticeSettings, get_settings
from lattice.autopilot import Autopilot, AutopilotStore
from lattice.directory import CellDirectory
from lattice.events import ErrorEvent, LatticeUpdate, QuantumMetricsEvent, SessionBus
from lattice.messages import ROLES, Role
from lattice.orchestrator import ChatOutcome, ChatPlan, Orchestrator
from lattice.providers import provider_name
from lattice.quantum_link import QuantumLink, QuantumResult
from lattice.relay import shared_relay
from lattice.sandbox import Workspace
from lattice.sessions import Session, SessionStore
from lattice.topology import LatticeNotifier, LatticeView, build_view

log = logging.getLogger(__name__)


@dataclass
class ChatResult:
    """A finished chat: the orchestration's outcome and its quantum metrics (or why there are none)."""

    outcome: ChatOutcome
    final_response: str
    quantum: QuantumResult | None
    chat_id: str


class LatticeService:
    """Everything the `/v1/aura` routes do, without HTTP."""

    def __init__(
        self,
        db: asyncpg.Pool,
        settings: LatticeSettings | None = None,
        directory: CellDirectory | None = None,
        provider: str | None = None,
    ) -> None:
        self.settings = settings or get_settings().lattice
        self.sessions = SessionStore(db)
        self.usage = UsageLedger(db)
        self.idempotency = IdempotencyStore(db)
        self.bus = SessionBus()
        self.directory = directory or CellDirectory(
            self.settings.cell_idle_ttl_s, self.settings.cell_persistence, get_settings().supervision.host_wait_s
        )
        self.provider = provider or provider_name(self.settings, self.settings.anthropic_api_key is not None)
        self.notifier = LatticeNotifier(self._publish_lattice, self.bus.watching_lattice)
        self.orchestrator = Orchestrator(
            self.directory, self.bus, shared_relay(), self.settings.step_timeout_s, on_change=self.notifier.changed
        )
        self.quantum = QuantumLink(self.settings)
        self.autopilot = Autopilot(
            AutopilotStore(db, self.settings.autopilot_lease_s),
            self.orchestrator,
            self.usage,
            self.bus,
            self.provider,
            Workspace.within(get_settings().sandbox),
        )
        self._background: set[asyncio.Task[None]] = set()

    async def end(self, session_id: str, user_id: str) -> Session:
        """End a session: no more chats, its WebSockets close, its cells leave their hosts' memory.

        The cells' saved state stays until the retention sweep deletes the
        session (`lattice.retention`); a trace asked for meanwhile still loads.
        """
        ended = await self.sessions.end(session_id, user_id)
        await self.autopilot.cancel_session(session_id)
        self.bus.close_session(session_id)
        await self.directory.deactivate(session_id)
        return ended

    async def lattice(self, session: Session) -> LatticeView:
        """The session's lattice now."""
        snapshots = await self.directory.snapshots(session.session_id)
        fresh = await self.sessions.get(session.session_id, session.user_id)
        return build_view(session.session_id, snapshots, fresh.interactions)

    async def _publish_lattice(self, session_id: str) -> None:
        session = await self.sessions.find(session_id)
        if session is None:
            return
        view = await self.lattice(session)
        self.bus.publish(session_id, LatticeUpdate(session_id=session_id, lattice=view.model_dump(mode="json")))

    async def chat(
        self,
        session: Session,
        prompt: str,
        *,
        agents_enabled: list[Role] | None,
        max_iterations: int,
        temperature: float | None,
        quantum_enhanced: bool,
        idempotency_key: str | None,
        workspace: Workspace | None = None,
        test_command: str | None = None,
    ) -> ChatResult:
        """Run one chat: record it, orchestrate the cells, bill it, and attach quantum metrics within budget."""
        plan = ChatPlan(
            session_id=session.session_id,
            prompt=prompt,
            provider=self.provider,
            agents_enabled=agents_enabled,
            max_iterations=max_iterations,
            temperature=temperature,
            workspace=workspace,
            test_command=test_command,
        )
        try:
            outcome = await self.orchestrator.run(plan)
        except AuraError as error:
            # The chat cannot be served now (a cell's host is coming back): its socket hears why, and stays open.
            self.bus.publish(session.session_id, ErrorEvent(code=error.code, detail=str(error.detail)))
            raise
        final = outcome.final.response if outcome.final is not None else fallback_answer(outcome)
        succeeded = [s for s in outcome.steps if not s.error]
        await self.sessions.add_messages(
            session.session_id,
            [("user", None, prompt), ("assistant", "synthesizer", final)],
            interactions=len(outcome.steps),
        )
        # Ledger keys are the user's own (another user's key can never swallow them) and fit Stripe's identifier.
        user, key = session.user_id, idempotency_key or plan.chat_id
        events = [UsageEvent(user, "message", ledger_key(user, key, "message"), session_id=session.session_id)]
        events += [
            UsageEvent(
                user, "agent_call", ledger_key(user, key, s.step_id.split(":", 1)[1]), session_id=session.session_id
            )
            for s in succeeded
        ]
        quantum = None
        if quantum_enhanced:
            quantum = await self._quantum(session, plan.chat_id)
            if quantum.metrics is not None or quantum.pending:
                events.append(
                    UsageEvent(user, "quantum_exec", ledger_key(user, key, "quantum"), session_id=session.session_id)
                )
        await self.usage.record(events)
        await self.notifier.settle(session.session_id)
        return ChatResult(outcome, final, quantum, plan.chat_id)

    async def _quantum(self, session: Session, chat_id: str) -> QuantumResult:
        view = await self.lattice(session)
        job = self.quantum.submit(view)
        if job is None:
            return self.quantum.unavailable()
        try:
            return await asyncio.wait_for(asyncio.shield(job), self.settings.quantum_budget_s)
        except TimeoutError:
            task = asyncio.create_task(self._follow_up(session.session_id, chat_id, job))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return QuantumResult(
                None, None, "metrics not ready within the budget; they follow on the WebSocket", pending=True
            )

    async def _follow_up(self, session_id: str, chat_id: str, job: asyncio.Future[QuantumResult]) -> None:
        try:
            result = await job
        except Exception:  # the client hears that it failed; what failed (any text at all) goes to the log only
            log.exception("quantum metrics failed", extra={"session_id": session_id, "chat_id": chat_id})
            result = QuantumResult(None, None, "quantum run failed; the error is logged")
        self.bus.publish(
            session_id,
            QuantumMetricsEvent(
                session_id=session_id,
                chat_id=chat_id,
                consciousness_metrics=result.metrics,
                quantum_backend_used=result.backend,
                reason=result.reason,
            ),
        )

    async def traces(self, session: Session) -> list[dict]:
        """Every cell's trace events for the session, oldest first."""
        texts = await asyncio.gather(*(self.directory.trace(r, session.session_id) for r in ROLES))
        events = []
        for role, text in zip(ROLES, texts, strict=True):
            for line in text.splitlines():
                event = json.loads(line)
                event["agent_type"] = role
                events.append(event)
        events.sort(key=lambda e: e["ts"])
        return events


def fallback_answer(outcome: ChatOutcome) -> str:
    """The answer when the synthesizer failed: say so, and give the newest successful step's output."""
    done = [s for s in outcome.steps if not s.error]
    failed = outcome.steps[-1].error if outcome.steps else "no step ran"
    if not done:
        return f"No cell could answer: {failed}"
    last = done[-1]
    return f"The synthesizer failed ({failed}); the {last.role}'s answer follows.\n\n{last.response}"
