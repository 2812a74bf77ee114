import pytest
from jobqueue import Worker


def handler(job):
    if job == "bad":
        raise ValueError(job)
    if job == "stop":
        raise KeyboardInterrupt
    if job == "exit":
        raise SystemExit(1)


def make(*jobs):
    worker = Worker(handler)
    for job in jobs:
        worker.submit(job)
    return worker


def test_all_good_jobs_done():
    worker = make("a", "b")
    assert worker.run() == 2
    assert worker.done == ["a", "b"]


def test_failed_job_does_not_stop_worker():
    worker = make("a", "bad", "c")
    assert worker.run() == 2
    assert worker.failed == ["bad"]
    assert worker.done == ["a", "c"]


def test_keyboard_interrupt_stops_worker():
    worker = make("a", "stop", "c")
    with pytest.raises(KeyboardInterrupt):
        worker.run()
    assert worker.done == ["a"]
    assert worker.failed == []
    assert list(worker.pending) == ["c"]


def test_system_exit_stops_worker():
    worker = make("exit", "a")
    with pytest.raises(SystemExit):
        worker.run()
    assert worker.done == []
    assert list(worker.pending) == ["a"]
