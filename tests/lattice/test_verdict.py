"""Tests decide a review: failing ones need changes, passing ones approve, and the score is the share passing."""

from __future__ import annotations

from lattice.quality import review_score
from lattice.sandbox import Run, TestCase, TestReport, Workspace
from lattice.verdict import Verdict, by_tests, workspace_verdict


def run(*outcomes: str, exit_code: int | None = None, limit: str | None = None) -> Run:
    report = TestReport([TestCase(f"t{i}", o) for i, o in enumerate(outcomes)])  # type: ignore[arg-type]
    failing = any(o in ("failed", "error") for o in outcomes)
    code = exit_code if exit_code is not None else int(failing)
    return Run("python -m pytest -q", code, "", "", 900.0, limit=limit, tests=report)  # type: ignore[arg-type]


def test_failing_tests_need_changes_even_without_findings() -> None:
    verdict = by_tests(Verdict("approve", checked=True), run("passed", "failed"))
    assert verdict.decision == "needs_changes" and not verdict.tests_pass()
    assert review_score(verdict) == 0.5


def test_passing_tests_approve_despite_warnings_but_not_an_error_or_a_models_objection() -> None:
    warned = workspace_verdict(Workspace({"a.py": "import os\n\nx = 1\n"}))
    assert warned.decision == "needs_changes" and warned.errors == 0
    assert by_tests(warned, run("passed")).decision == "approve"
    broken = workspace_verdict(Workspace({"a.py": "print(undefined_name)\n"}))
    assert by_tests(broken, run("passed")).decision == "needs_changes"
    objected = Verdict("approve", checked=True, model_decision="needs_changes")
    assert by_tests(objected, run("passed")).decision == "needs_changes"


def test_a_run_stopped_by_a_limit_fails_whatever_its_tests_said() -> None:
    verdict = by_tests(Verdict("approve", checked=True), run("passed", exit_code=137, limit="wall_time"))
    assert verdict.decision == "needs_changes" and review_score(verdict) == 0.0  # though its one test passed


def test_findings_name_their_file() -> None:
    verdict = workspace_verdict(Workspace({"pkg/a.py": "def f(x=[]):\n    return x\n", "README.md": "hi"}))
    assert [f.message.split(":")[0] for f in verdict.findings] == ["pkg/a.py"]
    assert workspace_verdict(Workspace({"README.md": "hi"})).decision == "not_applicable"


def test_the_score_of_a_run_without_tests_is_whether_it_ran() -> None:
    ok = Run("python main.py", 0, "", "", 10.0)
    crashed = Run("python main.py", 1, "", "Traceback", 10.0)
    assert review_score(by_tests(Verdict("approve", checked=True), ok)) == 1.0
    assert review_score(by_tests(Verdict("approve", checked=True), crashed)) == 0.0
