"""The bug-fix corpus is sound: every task is red as shipped, and the mechanical ones go green offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lattice.analysis.fixes import apply_fixes
from lattice.sandbox import DEFAULT_TEST_COMMAND, Limits, Sandbox, Workspace

TASKS = sorted(p for p in (Path(__file__).parents[2] / "bench" / "tasks").iterdir() if (p / "task.json").is_file())


def test_the_corpus_has_at_least_20_tasks_with_one_program_and_its_tests_each() -> None:
    assert len(TASKS) >= 20
    for task in TASKS:
        meta = json.loads((task / "task.json").read_text())
        assert set(meta) == {"goal", "program", "kind", "mechanical"}
        assert (task / meta["program"]).is_file() and (task / f"test_{meta['program']}").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS, ids=lambda p: p.name)
async def test_a_task_is_red_as_shipped_and_green_when_its_fix_is_mechanical(task: Path) -> None:
    meta = json.loads((task / "task.json").read_text())
    files = {p.name: p.read_text() for p in task.glob("*.py")}
    sandbox = Sandbox(Limits())
    shipped = await sandbox.run(Workspace(files), DEFAULT_TEST_COMMAND)
    assert shipped.tests is not None and shipped.tests.total >= 1 and not shipped.ok  # a collection error is one
    fixed = apply_fixes(files[meta["program"]])
    assert bool(fixed.applied) == meta["mechanical"]
    if meta["mechanical"]:
        repaired = await sandbox.run(Workspace({**files, meta["program"]: fixed.code}), DEFAULT_TEST_COMMAND)
        assert repaired.ok and repaired.tests is not None and repaired.tests.share_passed() == 1.0
