"""Group commit for concurrent calls: what arrives while a batch is in flight goes out together in the next one.

A request that finds nothing in flight is sent at once, so a lone caller pays
no extra latency; under load the calls that queue up behind a round trip
(to PostgreSQL, to a Ray actor) share the next one. Each caller awaits its
own item's result.

A batch is handed to `send` the moment it is formed, not on a later turn of
the event loop: a `send` that starts its work when called (a Ray `.remote()`
call does, and so does a host channel's `call`) has it under way before the
callers of the previous batch resume.
Under load those callers' resumptions fill a whole turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def settle(futures: Sequence[asyncio.Future[Result]], outcomes: Sequence[Result | BaseException]) -> None:
    """Give each waiting future its outcome, raising it there if it is an exception; skip cancelled callers."""
    for future, outcome in zip(futures, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Coalescer(Generic[Item, Result]):
    """Sends submitted items through `send` in batches, at most `in_flight` batches at a time.

    `send` receives a list of items and returns an awaitable of one result per
    item, in order. A result that is an exception is raised to that item's
    caller alone; if `send` itself raises, every caller of that batch gets the
    exception. Callers share batches, so they must share one event loop at a
    time.
    """

    def __init__(
        self,
        send: Callable[[list[Item]], Awaitable[Sequence[Result | BaseException]]],
        max_batch: int = 256,
        in_flight: int = 1,
    ) -> None:
        if max_batch < 1 or in_flight < 1:
            raise ValueError("max_batch and in_flight must be at least 1")
        self._send = send
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.items = 0

    async def submit(self, item: Item) -> Result:
        """Send `item` with whatever else is waiting, and return its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self._queue and self._running < self._in_flight:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            self._running += 1
            self.batches += 1
            self.items += len(batch)
            task = asyncio.get_running_loop().create_task(self._flush(batch, self._start([item for item, _ in batch])))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _start(self, items: list[Item]) -> Awaitable[Sequence[Result | BaseException]]:
        try:
            return self._send(items)
        except Exception as exc:  # raised by `send` itself: the batch's callers hear it from `_flush`
            failed: asyncio.Future[list[Result | BaseException]] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed

    async def _flush(
        self, batch: list[tuple[Item, asyncio.Future[Result]]], pending: Awaitable[Sequence[Result | BaseException]]
    ) -> None:
        try:
            results = await pending
        except BaseException as exc:  # every caller of this batch must hear about it, cancellation included
            self._release()
            self._fail(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        # The next batch goes out before this one's callers resume.
        self._release()
        if len(results) != len(batch):
            self._fail(batch, RuntimeError(f"send returned {len(results)} results for {len(batch)} items"))
        else:
            settle([future for _, future in batch], results)

    def _release(self) -> None:
        self._running -= 1
        self._dispatch()

    @staticmethod
    def _fail(batch: list[tuple[Item, asyncio.Future[Result]]], exc: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)
