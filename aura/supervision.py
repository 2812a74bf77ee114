"""Keeping named Ray actors alive: found by name, made again under the same name when gone for good.

Ray restarts an actor while its `max_restarts` last and never re-creates a
dead named one. A `NamedActor` is a process's handle on one such actor: a
call that finds it dead drops the handle, and the next lookup finds the
actor by name (restarted, or made by another process meanwhile) or creates
it anew (`get_if_exists`), so concurrent callers in every process end up on
one actor. `check` is what a supervisor runs periodically to do the same
for actors nobody is calling.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import ray
from ray.actor import ActorHandle

from aura.cluster import NAMESPACE
from aura.metrics import counter

#: Ray restarts a killed actor; calls made while it restarts fail with these and are worth retrying.
RESTART_ERRORS = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)

RECREATIONS = counter(
    "aura_host_recreations_total",
    "Named actors looked up again, and made anew if gone, after a call or a check found them dead.",
    ("group",),
)

#: `alive`: answered. `idle`: not made yet, nothing needed it. `starting`: created for the first time, not
#: answering yet. `re-creating`: found gone, restarting or being made again, not answering yet. `dead`: could
#: not be made.
HostState = Literal["alive", "idle", "starting", "re-creating", "dead"]


@dataclass(frozen=True)
class HostHealth:
    """One named actor as its last check found it."""

    name: str
    state: HostState
    error: str | None = None


async def _across_restarts(
    call: Callable[[], Awaitable[Any]], wait_s: float = 60.0, on_failure: Callable[[], None] | None = None
) -> Any:
    """Run `call`, retrying with backoff while its host is restarting (up to `wait_s`); `on_failure` after each miss."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return await call()
        except RESTART_ERRORS:
            if on_failure is not None:
                on_failure()
            if time.monotonic() + delay > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


class NamedActor:
    """One process's handle on a detached named Ray actor, looked up (or made) again once found dead.

    `make` finds the actor by name or creates it (`.options(name=...,
    get_if_exists=True)`); `probe` is the method `check` calls, one that
    answers at once when the actor is up (or, like the billing sync's
    `start`, also puts it back to work after a restart); `on_forget` drops
    whatever else the caller kept of the dead actor (a channel to it).
    """

    def __init__(
        self,
        name: str,
        group: str,
        make: Callable[[], ActorHandle],
        probe: str = "ping",
        on_forget: Callable[[], None] | None = None,
    ) -> None:
        self.name, self.group, self.probe = name, group, probe
        self._make, self._on_forget = make, on_forget
        self._handle: ActorHandle | None = None
        #: Set once a call found the actor dead, until a call answers again: callers then wait only briefly.
        self.lost = False

    def handle(self) -> ActorHandle:
        """The actor's handle, found by name or created if there is none."""
        if self._handle is None:
            if self.lost:
                RECREATIONS.inc(group=self.group)
            self._handle = self._make()
        return self._handle

    def forget(self) -> None:
        """Drop the handle after a call found the actor dead: the next `handle` finds or makes it again."""
        self._handle = None
        self.lost = True
        if self._on_forget is not None:
            self._on_forget()

    async def call(self, method: str, *args: Any, wait_s: float = 60.0) -> Any:
        """Call `method`, waiting out a restart and re-creating the actor if it is gone for good (up to `wait_s`).

        The wait bounds retries after failures; a call that reaches a starting actor waits for it.
        """

        async def attempt() -> Any:
            return await getattr(self.handle(), method).remote(*args)

        answer = await _across_restarts(attempt, wait_s, on_failure=self.forget)
        self.lost = False
        return answer

    def _existing(self) -> ActorHandle | None:
        """The actor's handle if it runs (or ran, and was found dead since); None when nothing made it yet."""
        if self._handle is None and not self.lost:
            try:
                self._handle = ray.get_actor(self.name, namespace=NAMESPACE)
            except ValueError:
                return None
        return self.handle()

    async def check(self, timeout_s: float, start: bool = True) -> HostHealth:
        """Probe the actor, making it again if it is gone for good; how it stands within `timeout_s`.

        With `start` false an actor nothing has made yet is left so (`idle`): a check then
        supervises what is in use without paying for what is not (a quantum worker's Qiskit).
        """
        if not start and self._existing() is None:
            return HostHealth(self.name, "idle")
        deadline = time.monotonic() + timeout_s
        failure = "no answer yet"
        for _ in range(2):  # the second round probes the actor just made again
            try:
                probe = getattr(self.handle(), self.probe).remote()
                await asyncio.wait_for(probe, max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                return HostHealth(self.name, "re-creating" if self.lost else "starting", failure)
            except RESTART_ERRORS as error:
                self.forget()
                failure = type(error).__name__
                continue
            except Exception as error:  # Ray itself unreachable, or the actor's class failing to load
                return HostHealth(self.name, "dead", type(error).__name__)
            self.lost = False
            return HostHealth(self.name, "alive")
        return HostHealth(self.name, "re-creating", failure)
