import pytest
from retrying import RetryError, retry


def flaky(failures, exc=ValueError):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= failures:
            raise exc("boom")
        return "ok"

    return call, calls


def test_succeeds_after_ordinary_failures():
    call, calls = flaky(2)
    seen = []
    assert retry(attempts=3, on_retry=seen.append)(call)() == "ok"
    assert len(calls) == 3
    assert seen == [1, 2]


def test_gives_up_with_retry_error():
    call, calls = flaky(5)
    with pytest.raises(RetryError):
        retry(attempts=2)(call)()
    assert len(calls) == 2


def test_keyboard_interrupt_is_not_retried():
    call, calls = flaky(1, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        retry(attempts=3)(call)()
    assert len(calls) == 1


def test_system_exit_is_not_retried():
    call, calls = flaky(1, SystemExit)
    with pytest.raises(SystemExit):
        retry(attempts=3)(call)()
    assert len(calls) == 1
