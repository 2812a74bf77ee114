"""The coalescer: concurrent calls share round trips, each caller gets its own result or error."""

from __future__ import annotations

import asyncio

import pytest

from aura.coalesce import Coalescer


class Recorder:
    """A `send` that answers each item doubled after a short round trip, keeping the batches it saw."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.delay_s = delay_s

    async def __call__(self, items: list[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay_s)
        return [ValueError(f"odd {i}") if i < 0 else i * 2 for i in items]


async def test_a_lone_call_goes_out_at_once_in_a_batch_of_its_own() -> None:
    send = Recorder()
    assert await Coalescer(send).submit(4) == 8
    assert send.batches == [[4]]


async def test_calls_arriving_during_a_round_trip_share_the_next_one() -> None:
    send = Recorder()
    coalescer = Coalescer(send)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(20)))
    assert results == [i * 2 for i in range(20)]
    # The first call leaves alone; the 19 that queued behind it go together.
    assert send.batches == [[0], list(range(1, 20))]
    assert (coalescer.batches, coalescer.items) == (2, 20)


async def test_max_batch_splits_a_long_queue_and_in_flight_bounds_concurrency() -> None:
    send = Recorder()
    coalescer = Coalescer(send, max_batch=5, in_flight=2)
    await asyncio.gather(*(coalescer.submit(i) for i in range(22)))
    assert [len(b) for b in send.batches] == [1, 1, 5, 5, 5, 5]
    assert sorted(i for b in send.batches for i in b) == list(range(22))


async def test_the_next_batch_is_sent_before_the_callers_of_the_last_one_resume() -> None:
    # A `send` that starts its work when called, as a Ray `.remote()` call does.
    sent: list[list[int]] = []
    replies: list[asyncio.Future[list[int]]] = []

    def send(items: list[int]) -> asyncio.Future[list[int]]:
        sent.append(list(items))
        replies.append(asyncio.get_running_loop().create_future())
        return replies[-1]

    coalescer = Coalescer(send)
    seen_by_first: list[list[list[int]]] = []

    async def first() -> None:
        await coalescer.submit(1)
        seen_by_first.append([list(b) for b in sent])

    caller = asyncio.create_task(first())
    await asyncio.sleep(0)
    assert sent == [[1]]  # sent from within `submit`, before any later turn of the loop
    later = [asyncio.create_task(coalescer.submit(i)) for i in (2, 3)]
    await asyncio.sleep(0)
    assert sent == [[1]]
    replies[0].set_result([10])
    await caller
    assert seen_by_first == [[[1], [2, 3]]]
    replies[1].set_result([20, 30])
    assert await asyncio.gather(*later) == [20, 30]


async def test_a_send_raising_when_called_fails_its_batch_alone() -> None:
    calls = 0

    def send(items: list[int]) -> asyncio.Future[list[int]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("no route")
        done = asyncio.get_running_loop().create_future()
        done.set_result(items)
        return done

    coalescer = Coalescer(send)
    with pytest.raises(ConnectionError):
        await coalescer.submit(1)
    assert await coalescer.submit(2) == 2


async def test_an_item_error_reaches_only_its_caller() -> None:
    coalescer = Coalescer(Recorder())
    outcomes = await asyncio.gather(*(coalescer.submit(i) for i in (1, -3, 5)), return_exceptions=True)
    assert outcomes[0] == 2 and outcomes[2] == 10
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "odd -3"


async def test_a_failed_send_fails_every_caller_of_that_batch_and_the_next_batch_still_goes() -> None:
    calls = 0

    async def flaky(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 2:
            raise ConnectionError("link down")
        return items

    coalescer = Coalescer(flaky)
    first = [asyncio.create_task(coalescer.submit(i)) for i in range(3)]
    outcomes = await asyncio.gather(*first, return_exceptions=True)
    assert outcomes[0] == 0
    assert all(isinstance(o, ConnectionError) for o in outcomes[1:])
    assert await coalescer.submit(7) == 7


async def test_a_send_answering_the_wrong_number_of_results_is_an_error() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    with pytest.raises(RuntimeError, match="1 items"):
        await Coalescer(short).submit(1)


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Coalescer(Recorder(), max_batch=0)
