"""The host: one Ray actor holding many logical actors and routing messages to them by id.

Activation is lazy (first message; from saved state if there is one),
delivery is one message at a time per logical actor and concurrent across
actors, idle actors are saved and dropped after a TTL, and `tell_many`
carries a whole batch in one Ray call, or in one frame on the host's
channel (`actors.channel`) for coalescing groups. A group may give its
hosts an intake: code that every batch passes through on its way to the
actors (like an incoming grain call filter in Orleans).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import ray

from actors.actor import LogicalActor
from actors.channel import ChannelAddress, ChannelListener
from actors.metrics import ACTIVATIONS, DEACTIVATIONS, MAILBOX, SAVES
from actors.persistence import StateStore
from aura import AuraError, load

log = logging.getLogger(__name__)

Persistence = Literal["none", "write_behind", "write_through"]


@dataclass(frozen=True)
class HostSpec:
    """How the hosts of one group are built and behave.

    `persistence`: `none` keeps state in memory only; `write_behind` saves
    changed actors every `flush_interval_s` and at deactivation;
    `write_through` saves an actor before its reply leaves the host.
    `intake`: `package.module:Class` of an `Intake` each host builds once
    (no arguments) and passes every batch through. `env`: environment
    variables of the hosts' processes beside the job's, for settings a host
    reads itself (so no secret has to travel with its messages).
    """

    group: str
    actor_class: str
    size: int = 1
    idle_ttl_s: float | None = 300.0
    persistence: Persistence = "write_behind"
    flush_interval_s: float = 1.0
    max_restarts: int = -1
    num_cpus: float = 0.0
    intake: str | None = None
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if ":" not in self.actor_class:
            raise ValueError("actor_class is 'package.module:ClassName'")
        if self.intake is not None and ":" not in self.intake:
            raise ValueError("intake is 'package.module:ClassName'")
        if self.size < 1:
            raise ValueError("a group has at least one host")
        if self.idle_ttl_s is not None and self.idle_ttl_s <= 0:
            raise ValueError("idle_ttl_s must be positive (or None to keep actors forever)")


@dataclass(frozen=True)
class Failure:
    """The reply for a message whose handler raised: which actor, what error."""

    actor_id: str
    error: str
    message: str


class ActorFailed(AuraError):
    """Raised by `tell` when the logical actor's handler raised; `failure` says which actor and what error."""

    default_code = "actor_failed"

    def __init__(self, failure: Failure) -> None:
        super().__init__(detail=f"{failure.actor_id}: {failure.error}: {failure.message}")
        self.failure = failure


@dataclass(frozen=True)
class HostStats:
    """Counters of one host."""

    name: str
    active: int
    activations: int
    deactivations: int
    messages: int
    failures: int
    saves: int
    channel_batches: int
    pid: int
    node_id: str


#: Actors snapshotted per turn of the event loop when saving. A busy actor's snapshot takes tens of
#: microseconds (its trace alone is 256 events); snapshotting and encoding 60 busy sellers at once
#: held up every bid behind them for about 15 ms each second.
_SNAPSHOTS_PER_TURN = 16

#: Hands a batch to its actors: one reply per message, in order, a `Failure` where a handler raised.
Deliver = Callable[[list[tuple[str, Any]]], Awaitable[list[Any]]]


class Intake(Protocol):
    """What a host runs around every batch: it may answer a message itself instead of delivering it.

    It returns one reply per message, in order. A reply that is an exception
    is raised to that message's sender (`tell`, or a coalesced group `tell`).
    """

    async def __call__(self, messages: list[tuple[str, Any]], deliver: Deliver) -> list[Any]: ...


def _actor_class(path: str) -> type[LogicalActor]:
    cls = load(path)
    if not (isinstance(cls, type) and issubclass(cls, LogicalActor)):
        raise TypeError(f"{path} is not a LogicalActor subclass")
    return cls


class Host:
    """Holds the logical actors of one group that hash to it (or one dedicated actor)."""

    def __init__(self, spec: HostSpec, name: str) -> None:
        self.spec, self.name = spec, name
        # A host is a process full of long-lived actors. CPython's default (a young-generation
        # collection every 700 allocations) makes activating 100 k actors spend most of its time
        # re-scanning them; collecting every 50 k allocations keeps cycles bounded at a fraction
        # of that cost. Code and modules loaded so far are frozen out of every collection.
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        self._cls = _actor_class(spec.actor_class)
        self._intake: Intake | None = None if spec.intake is None else load(spec.intake)()
        self._async = inspect.iscoroutinefunction(self._cls.receive)
        self._actors: dict[str, LogicalActor] = {}
        # Only actors with a message in flight have a lock, so idle actors cost nothing here.
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._loading: dict[str, asyncio.Future[None]] = {}
        self._saving: dict[str, dict] = {}
        self._dirty: set[str] = set()
        self._store: StateStore | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._listener: ChannelListener | None = None
        self._counts: defaultdict[str, int] = defaultdict(int)

    async def _state_store(self) -> StateStore | None:
        if self.spec.persistence == "none":
            return None
        if self._store is None:
            from aura.store import configured_pool

            self._store = StateStore(await configured_pool(), self._cls.kind)
        return self._store

    def _start_housekeeping(self) -> None:
        if self._housekeeping is None or self._housekeeping.done():
            self._housekeeping = asyncio.get_running_loop().create_task(self._housekeep())

    async def _housekeep(self) -> None:
        ttl = self.spec.idle_ttl_s
        period = min(self.spec.flush_interval_s, ttl / 2 if ttl else self.spec.flush_interval_s)
        while True:
            await asyncio.sleep(period)
            MAILBOX.set(sum(waiting[0] for _, waiting in self._locks.values()), host=self.name)
            try:
                await self.flush()
                if ttl is not None:
                    await self.deactivate_idle(ttl)
            except Exception:  # a failed save is retried next period; the actors stay dirty
                log.exception("host housekeeping failed", extra={"host": self.name})

    async def _activate(self, actor_ids: list[str]) -> None:
        missing = [i for i in dict.fromkeys(actor_ids) if i not in self._actors]
        if not missing:
            return
        pending = {self._loading[i] for i in missing if i in self._loading}
        to_load = [i for i in missing if i not in self._loading]
        if to_load:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            for actor_id in to_load:
                self._loading[actor_id] = done
            try:
                # A snapshot still being saved is newer than anything in the database.
                snapshots = {i: self._saving[i] for i in to_load if i in self._saving}
                store = await self._state_store()
                if store is not None:
                    snapshots.update(await store.load_many([i for i in to_load if i not in snapshots]))
                cls = self._cls
                for actor_id in to_load:
                    found = snapshots.get(actor_id)
                    self._actors[actor_id] = cls.restore(actor_id, found) if found else cls(actor_id)
                self._counts["activations"] += len(to_load)
                ACTIVATIONS.inc(len(to_load), group=self.spec.group)
                done.set_result(None)
            except BaseException as exc:
                done.set_exception(exc)
                done.exception()  # marks it retrieved for the waiters that may not exist
                raise
            finally:
                for actor_id in to_load:
                    self._loading.pop(actor_id, None)
        if pending:
            await asyncio.gather(*pending)

    def _finish(
        self, actor: LogicalActor, message: Any, reply: Any, error: BaseException | None, started: float
    ) -> Any:
        """Book-keeping shared by the sync and async paths; returns what the caller receives."""
        now = time.monotonic()
        actor.last_active = now
        actor.resistance.record(error is not None)
        self._counts["messages"] += 1
        if error is not None:
            self._counts["failures"] += 1
            reply = Failure(actor.actor_id, type(error).__name__, str(error))
        if actor.traced:
            actor.trace.record(
                actor.actor_id,
                type(message).__name__,
                inputs=actor.describe(message),
                outputs=None if error else actor.describe(reply),
                duration_ms=(now - started) * 1000,
                error=None if error is None else f"{type(error).__name__}: {error}",
            )
        if self.spec.persistence != "none":
            self._dirty.add(actor.actor_id)
        return reply

    def _deliver_sync(self, actor_id: str, message: Any) -> Any:
        actor = self._actors[actor_id]
        started = time.monotonic()
        try:
            reply, error = actor.receive(message), None
        except Exception as exc:
            reply, error = None, exc
        return self._finish(actor, message, reply, error, started)

    async def _deliver_async(self, actor_id: str, message: Any) -> Any:
        entry = self._locks.get(actor_id)
        if entry is None:
            entry = self._locks[actor_id] = (asyncio.Lock(), [0])
        entry[1][0] += 1
        try:
            async with entry[0]:
                if actor_id not in self._actors:  # deactivated while this message waited
                    await self._activate([actor_id])
                actor = self._actors[actor_id]
                started = time.monotonic()
                try:
                    reply, error = await actor.receive(message), None
                except Exception as exc:
                    reply, error = None, exc
                return self._finish(actor, message, reply, error, started)
        finally:
            entry[1][0] -= 1
            if entry[1][0] == 0:
                del self._locks[actor_id]

    async def _save_through(self, actor_ids: list[str]) -> None:
        if self.spec.persistence == "write_through":
            await self._save([i for i in dict.fromkeys(actor_ids) if i in self._actors])

    async def tell(self, actor_id: str, message: Any) -> Any:
        """Deliver one message and return the reply; raises `ActorFailed` if the handler raised."""
        self._start_housekeeping()
        if self._intake is not None:
            reply = (await self._intake([(actor_id, message)], self._deliver_many))[0]
        else:
            await self._activate([actor_id])
            if self._async:
                reply = await self._deliver_async(actor_id, message)
            else:
                reply = self._deliver_sync(actor_id, message)
            await self._save_through([actor_id])
        if isinstance(reply, Failure):
            raise ActorFailed(reply)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def tell_many(self, messages: list[tuple[str, Any]]) -> list[Any]:
        """Deliver a batch in one call; replies come back in order, a `Failure` where a handler raised.

        Messages to the same actor are handled in batch order; different actors run concurrently.
        """
        self._start_housekeeping()
        if self._intake is not None:
            return await self._intake(messages, self._deliver_many)
        return await self._deliver_many(messages)

    async def channel(self) -> ChannelAddress:
        """Where this host's channel listens (opened on first call): coalescing groups send their batches there.

        Batches arriving there go through `tell_many`, exactly as over Ray.
        """
        if self._listener is None:
            self._listener = ChannelListener(self.tell_many)
        return await self._listener.start(ray.util.get_node_ip_address())

    async def _deliver_many(self, messages: list[tuple[str, Any]]) -> list[Any]:
        await self._activate([actor_id for actor_id, _ in messages])
        if not self._async:
            replies = [self._deliver_sync(actor_id, message) for actor_id, message in messages]
        else:
            by_actor: dict[str, list[int]] = defaultdict(list)
            for position, (actor_id, _) in enumerate(messages):
                by_actor[actor_id].append(position)
            replies = [None] * len(messages)

            async def run(actor_id: str, positions: list[int]) -> None:
                for position in positions:
                    replies[position] = await self._deliver_async(actor_id, messages[position][1])

            await asyncio.gather(*(run(a, p) for a, p in by_actor.items()))
        await self._save_through([actor_id for actor_id, _ in messages])
        return replies

    async def _save(self, actor_ids: list[str]) -> None:
        store = await self._state_store()
        if store is None or not actor_ids:
            return
        snapshots: dict[str, dict] = {}
        for count, actor_id in enumerate(actor_ids, start=1):
            actor = self._actors.get(actor_id)
            if actor is None:  # deactivated meanwhile, and saved on its way out
                continue
            snapshots[actor_id] = actor.snapshot()
            self._dirty.discard(actor_id)  # a message handled from here on marks it again
            if count % _SNAPSHOTS_PER_TURN == 0:
                await asyncio.sleep(0)
        try:
            await store.save_many(snapshots)
        except BaseException:
            self._dirty.update(i for i in actor_ids if i in self._actors)
            raise
        self._counts["saves"] += len(snapshots)
        SAVES.inc(len(snapshots), group=self.spec.group)

    async def flush(self) -> int:
        """Save every actor changed since its last save; return how many were saved."""
        dirty = [i for i in self._dirty if i in self._actors]
        await self._save(dirty)
        return len(dirty)

    async def deactivate_idle(self, idle_s: float) -> int:
        """Save and drop actors idle for at least `idle_s` seconds; return how many were dropped."""
        cutoff = time.monotonic() - idle_s
        return await self._drop([i for i, a in self._actors.items() if a.last_active <= cutoff])

    async def deactivate(self, actor_ids: list[str]) -> int:
        """Save and drop these actors now (those active and not handling a message); return how many were dropped.

        What their owner ended (a lattice session) need not wait out the idle time
        in memory; a later message activates an actor again from its saved state.
        """
        return await self._drop([i for i in actor_ids if i in self._actors])

    async def _drop(self, candidates: list[str]) -> int:
        idle = [i for i in candidates if i not in self._locks]
        if not idle:
            return 0
        # Take them out before awaiting the save, so no message can change an actor being saved;
        # a message arriving meanwhile activates from the snapshot kept in `_saving`.
        snapshots = {i: self._actors.pop(i).snapshot() for i in idle}
        store = await self._state_store()
        if store is not None:
            changed = {i: s for i, s in snapshots.items() if i in self._dirty}
            self._saving.update(changed)
            try:
                await store.save_many(changed)
                self._counts["saves"] += len(changed)
                SAVES.inc(len(changed), group=self.spec.group)
            except BaseException:
                # Put them back rather than lose the changes; the next period retries.
                for actor_id, snapshot in changed.items():
                    if actor_id not in self._actors:
                        self._actors[actor_id] = self._cls.restore(actor_id, snapshot)
                raise
            finally:
                for actor_id in changed:
                    self._saving.pop(actor_id, None)
            self._dirty.difference_update(idle)
        self._counts["deactivations"] += len(idle)
        DEACTIVATIONS.inc(len(idle), group=self.spec.group)
        return len(idle)

    async def snapshot(self, actor_id: str) -> dict:
        """One actor's current snapshot (activating it if needed)."""
        await self._activate([actor_id])
        return self._actors[actor_id].snapshot()

    async def export_trace(self, actor_id: str) -> str:
        """One actor's trace as JSON lines (activating it if needed)."""
        await self._activate([actor_id])
        return self._actors[actor_id].trace.to_jsonl()

    async def active_ids(self) -> list[str]:
        """The ids of the actors active on this host now."""
        return list(self._actors)

    async def stats(self) -> HostStats:
        """This host's counters."""
        return HostStats(
            name=self.name,
            active=len(self._actors),
            activations=self._counts["activations"],
            deactivations=self._counts["deactivations"],
            messages=self._counts["messages"],
            failures=self._counts["failures"],
            saves=self._counts["saves"],
            channel_batches=0 if self._listener is None else self._listener.batches,
            pid=os.getpid(),
            node_id=ray.get_runtime_context().get_node_id() if ray.is_initialized() else "",
        )

    async def ping(self) -> str:
        """Answer once the host is up (used to wait for a restart)."""
        return self.name


RayHost = ray.remote(Host)
