"""A sandboxed run reports how a command ended, what it printed, its tests, and the files it left."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice.sandbox import DEFAULT_TEST_COMMAND, Limits, Sandbox, SandboxUnavailable, Workspace

PROGRAM = "def add(a, b):\n    return a - b\n"
TESTS = (
    "from calc import add\n\n"
    "def test_add():\n    assert add(1, 2) == 3\n\n"
    "def test_zero():\n    assert add(0, 0) == 0\n"
)


async def test_pytest_results_come_back_per_test(sandbox: Sandbox) -> None:
    run = await sandbox.run(Workspace({"calc.py": PROGRAM, "test_calc.py": TESTS}), DEFAULT_TEST_COMMAND)
    assert run.exit_code == 1 and run.limit is None
    assert run.tests is not None
    assert (run.tests.passed, run.tests.failed, run.tests.errors, run.tests.total) == (1, 1, 0, 2)
    failure = run.tests.first_failure
    assert failure is not None and failure.name == "test_calc.test_add"
    assert "assert -1 == 3" in failure.message
    assert 'test_calc.py", line 4, in test_add' in failure.detail and "pluggy" not in failure.detail


async def test_passing_tests_make_an_ok_run(sandbox: Sandbox) -> None:
    fixed = PROGRAM.replace("a - b", "a + b")
    run = await sandbox.run(Workspace({"calc.py": fixed, "test_calc.py": TESTS}), DEFAULT_TEST_COMMAND)
    assert run.ok and run.tests is not None and run.tests.share_passed() == 1.0
    assert run.as_dict()["tests"]["first_failure"] is None


async def test_a_collection_error_counts_as_an_error(sandbox: Sandbox) -> None:
    run = await sandbox.run(Workspace({"test_broken.py": "import nowhere_to_be_found\n"}), DEFAULT_TEST_COMMAND)
    assert run.tests is not None and run.tests.errors == 1 and run.tests.passed == 0
    assert "nowhere_to_be_found" in run.tests.cases[0].message + run.tests.cases[0].detail


async def test_exit_codes_and_outputs_are_reported(sandbox: Sandbox) -> None:
    run = await sandbox.run(Workspace(), "echo out; echo err >&2; exit 3")
    assert (run.exit_code, run.stdout, run.stderr, run.limit, run.tests) == (3, "out\n", "err\n", None, None)
    assert run.workspace is None  # files come back only when asked for
    assert not run.ok


async def test_files_the_run_writes_come_back_and_the_input_is_untouched(sandbox: Sandbox) -> None:
    given = Workspace({"src/notes.txt": "first\n"})
    command = "echo second >> src/notes.txt && mkdir -p out && echo made > out/result.txt"
    run = await sandbox.run(given, command, keep_files=True)
    assert run.workspace is not None
    assert run.workspace.files == {"src/notes.txt": "first\nsecond\n", "out/result.txt": "made\n"}
    assert given.files == {"src/notes.txt": "first\n"}


async def test_tighter_limits_can_be_asked_for_per_run(sandbox: Sandbox) -> None:
    run = await sandbox.run(Workspace(), "sleep 5", Limits(wall_s=0.5))
    assert run.limit == "wall_time"


async def test_without_a_working_bwrap_nothing_runs_and_the_reason_is_given(tmp_path: Path) -> None:
    missing = Sandbox(Limits(), bwrap=tmp_path / "bwrap")
    reason = await missing.check()
    assert reason is not None and "bwrap" in reason
    with pytest.raises(SandboxUnavailable) as raised:
        await missing.run(Workspace({"escape.py": "print('ran')"}), "python escape.py")
    assert raised.value.code == "sandbox_unavailable"
