"""Finding the host of a logical actor: stable hashing over a named group, or a dedicated host."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast

import ray
from ray.actor import ActorHandle

from actors.channel import HostChannel, HostUnreachable
from actors.host import ActorFailed, Failure, HostSpec, RayHost
from aura import NAMESPACE, RESTART_ERRORS, Coalescer, HostHealth, NamedActor

#: How long a channel waits for a host being created for the first time (a process start and its
#: imports) before its batch fails with `HostUnreachable`.
_START_WAIT_S = 15.0


def host_index(actor_id: str, hosts: int) -> int:
    """The index of the host that owns `actor_id` in a group of `hosts`, the same in every process."""
    digest = hashlib.blake2b(actor_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % hosts


async def _replies(call: Awaitable[list[Any]]) -> list[Any]:
    """A host's replies to a batch, with each `Failure` as the `ActorFailed` its sender raises."""
    return [ActorFailed(r) if isinstance(r, Failure) else r for r in await call]


class HostGroup:
    """A named set of hosts of one actor class, addressed by actor id.

    Hosts are named Ray actors (`aura:<group>:<n>`, or `aura:<group>:<key>` when
    dedicated), created on first use by whichever process needs them first and
    found by name afterwards; Ray restarts a host that dies, and a host gone
    for good is made again under its name (`aura.supervision`). A call that
    finds its host gone waits at most `wait_s` for it to answer again.

    With `coalesce`, the `tell`s this process makes to one host while a call
    to it is in flight go together as the next `tell_many`: one call for
    many messages under load, none delayed when idle. Those batches travel
    on the host's channel (`actors.channel`), a stream whose address comes
    through Ray and which is opened again through Ray, waiting out a
    restart, when the host it led to has gone; batches in flight when it
    closes fail with `HostUnreachable`. It suits short handlers; a batch
    answers when its slowest message does, so hosts whose messages take
    long (LLM calls) should not coalesce.
    """

    def __init__(self, spec: HostSpec, names: list[str], coalesce: bool = False, wait_s: float = 2.0) -> None:
        self.spec = spec
        self.names = names
        self.coalesce = coalesce
        self.wait_s = wait_s
        self.hosts = self._named_hosts()
        self._batches: list[Coalescer[tuple[str, Any], Any] | None] = [None] * len(names)
        self._channels: list[HostChannel | None] = [None] * len(names)

    @classmethod
    def sharded(cls, spec: HostSpec, coalesce: bool = False, wait_s: float = 2.0) -> HostGroup:
        """`spec.size` hosts named `aura:<group>:0..n-1`, actors placed by stable hash of their id."""
        return cls(spec, [f"aura:{spec.group}:{i}" for i in range(spec.size)], coalesce, wait_s)

    @classmethod
    def dedicated(cls, spec: HostSpec, key: str, wait_s: float = 2.0) -> HostGroup:
        """One Ray actor of its own, named `aura:<group>:<key>`, for one logical actor (or one role)."""
        return cls(spec, [f"aura:{spec.group}:{key}"], wait_s=wait_s)

    def _named_hosts(self) -> list[NamedActor]:
        return [
            NamedActor(name, self.spec.group, partial(self._create, name), on_forget=partial(self._close_channel, i))
            for i, name in enumerate(self.names)
        ]

    def _create(self, name: str) -> ActorHandle:
        # Ray types a created actor as the handle or the class; it is the handle.
        return cast(
            ActorHandle,
            RayHost.options(
                name=name,
                namespace=NAMESPACE,
                get_if_exists=True,
                lifetime="detached",
                max_restarts=self.spec.max_restarts,
                num_cpus=self.spec.num_cpus,
                max_concurrency=1000,
                runtime_env={"env_vars": self.spec.env} if self.spec.env else None,
            ).remote(self.spec, name),
        )

    def handle(self, index: int) -> ActorHandle:
        """The Ray handle of host `index`, creating the host if it does not exist yet."""
        return self.hosts[index].handle()

    def forget(self, index: int) -> None:
        """Drop the handle (and channel) of host `index` after a call found it dead; the next call finds or makes it.

        A host gone for good (its restarts used up, killed, its node lost) is
        not re-created by Ray; a handle looked up again finds a restarting one,
        or creates the host under the same name, whose actors then activate
        from their saved state.
        """
        self.hosts[index].forget()

    def _close_channel(self, index: int) -> None:
        channel = self._channels[index]
        if channel is not None and not channel.loop.is_closed():
            channel.close()
        self._channels[index] = None

    async def call(self, index: int, method: str, *args: Any, wait_s: float = 60.0) -> Any:
        """Call `method` on host `index`, waiting out a restart, re-creating a host gone for good (up to `wait_s`)."""
        return await self.hosts[index].call(method, *args, wait_s=wait_s)

    async def check(self, timeout_s: float) -> list[HostHealth]:
        """Probe every host, making again those gone for good (what a supervisor runs periodically)."""
        return list(await asyncio.gather(*(host.check(timeout_s) for host in self.hosts)))

    def host_for(self, actor_id: str) -> ActorHandle:
        """The handle of the host that owns `actor_id`."""
        return self.handle(host_index(actor_id, len(self.names)))

    def handles(self) -> list[ActorHandle]:
        """Every host of the group (created if needed)."""
        return [self.handle(i) for i in range(len(self.names))]

    async def tell(self, actor_id: str, message: Any) -> Any:
        """Deliver one message to `actor_id` and await its reply (raises `ActorFailed`)."""
        index = host_index(actor_id, len(self.names))
        if not self.coalesce:
            try:
                return await self.handle(index).tell.remote(actor_id, message)
            except RESTART_ERRORS:
                self.forget(index)  # not resent (its handler may have run); the next message finds the host
                raise
        batch = self._batches[index]
        if batch is None:
            batch = self._batches[index] = Coalescer(self._sender(index), max_batch=512)
        return await batch.submit((actor_id, message))

    def coalesced(self) -> tuple[int, int]:
        """Batches sent and messages they carried, over this process's coalesced `tell`s."""
        used = [b for b in self._batches if b is not None]
        return sum(b.batches for b in used), sum(b.items for b in used)

    def _sender(self, index: int) -> Callable[[list[tuple[str, Any]]], Awaitable[list[Any]]]:
        def send(messages: list[tuple[str, Any]]) -> Awaitable[list[Any]]:
            # The frame is written here, when the batch is formed (see `Coalescer`).
            channel = self._channels[index]
            if channel is not None and channel.usable:
                return _replies(channel.call(messages))
            return _replies(self._reopen_and_call(index, messages))

        return send

    async def _reopen_and_call(self, index: int, messages: list[tuple[str, Any]]) -> list[Any]:
        # The address comes through Ray, which creates a missing host and restarts a dead one. A host
        # found gone is waited for briefly (its callers get a prompt 503 while it comes back); one never
        # seen yet is given the time a first start takes.
        wait_s = self.wait_s if self.hosts[index].lost else _START_WAIT_S
        try:
            address = await asyncio.wait_for(self.call(index, "channel", wait_s=wait_s), wait_s)
        except (TimeoutError, *RESTART_ERRORS) as error:
            raise HostUnreachable(
                detail=f"{self.names[index]} did not answer within {wait_s:g} s; it is being brought back"
            ) from error
        try:
            channel = await HostChannel.open(address)
        except (TimeoutError, OSError) as error:  # the host stopped again since it answered
            raise HostUnreachable(detail=f"{self.names[index]} did not take the connection: {error}") from error
        self._channels[index] = channel
        return await channel.call(messages)

    async def tell_many(self, messages: list[tuple[str, Any]]) -> list[Any]:
        """Deliver a batch with one Ray call per host; replies in order, `Failure` where a handler raised."""
        by_host: dict[int, list[int]] = defaultdict(list)
        hosts = len(self.names)
        for position, (actor_id, _) in enumerate(messages):
            by_host[host_index(actor_id, hosts)].append(position)
        calls = {
            index: self._tell_many(index, [messages[p] for p in positions]) for index, positions in by_host.items()
        }
        answers: list[list[Any]] = await asyncio.gather(*calls.values())
        replies: list[Any] = [None] * len(messages)
        for index, answer in zip(calls, answers, strict=True):
            for position, reply in zip(by_host[index], answer, strict=True):
                replies[position] = reply
        return replies

    async def _tell_many(self, index: int, messages: list[tuple[str, Any]]) -> list[Any]:
        try:
            return cast(list[Any], await self.handle(index).tell_many.remote(messages))
        except RESTART_ERRORS:
            self.forget(index)  # the caller decides whether to resend; the next call finds the host
            raise

    def kill(self) -> None:
        """Remove every host of the group for good (their saved state stays in the database)."""
        for name in self.names:
            try:
                ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)
            except ValueError:
                continue
        for index in range(len(self.names)):
            self._close_channel(index)
        self.hosts = self._named_hosts()
        self._batches = [None] * len(self.names)
