import sys

import pytest
from plugins import HookRunner


def shout(payload):
    return payload.upper()


def broken(payload):
    raise RuntimeError("plugin bug")


def quitter(payload):
    sys.exit(3)


def test_hooks_run_in_order():
    runner = HookRunner()
    runner.register("save", shout)
    runner.register("save", len)
    assert runner.emit("save", "doc") == ["DOC", 3]


def test_broken_hook_is_recorded_and_skipped():
    runner = HookRunner()
    runner.register("save", broken)
    runner.register("save", shout)
    assert runner.emit("save", "x") == ["X"]
    assert runner.failures == [("save", "broken")]


def test_sys_exit_in_hook_propagates():
    runner = HookRunner()
    runner.register("quit", quitter)
    with pytest.raises(SystemExit) as info:
        runner.emit("quit", None)
    assert info.value.code == 3
    assert runner.failures == []


def test_unknown_event_runs_nothing():
    assert HookRunner().emit("nothing", 1) == []


def test_keyboard_interrupt_in_hook_propagates():
    def interrupted(payload):
        raise KeyboardInterrupt

    runner = HookRunner()
    runner.register("save", interrupted)
    runner.register("save", shout)
    with pytest.raises(KeyboardInterrupt):
        runner.emit("save", "x")
