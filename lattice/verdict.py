"""The reviewer's structured verdict (approve, needs_changes or not_applicable) and the findings and tests behind it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from lattice.analysis.static import Finding, check
from lattice.sandbox import Run, Workspace

Decision = Literal["approve", "needs_changes", "not_applicable"]

# The model is asked to end its review with this line; only a line in this exact shape counts.
_MODEL_VERDICT = re.compile(r"^VERDICT:\s*(\{.*\})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Verdict:
    """A review's outcome; `checked` says whether any code was actually checked, `run` how its tests went."""

    decision: Decision
    findings: list[Finding] = field(default_factory=list)
    checked: bool = False
    model_decision: Decision | None = None
    run: Run | None = None

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(f.severity == "warning" for f in self.findings)

    def as_dict(self) -> dict:
        """JSON-ready form (API metrics, traces, memory)."""
        return {
            "verdict": self.decision,
            "checked": self.checked,
            "model_verdict": self.model_decision,
            "findings": [asdict(f) for f in self.findings],
            "run": None if self.run is None else self.run.as_dict(),
        }

    def tests_pass(self) -> bool:
        """Whether the review ran the test command and it passed (with pytest: at least one test, all passing)."""
        run = self.run
        return run is not None and run.ok and (run.tests is None or run.tests.passed == run.tests.total > 0)


def static_verdict(code: str | None) -> Verdict:
    """The verdict of the static checks alone: no code → not_applicable; any finding → needs_changes."""
    if code is None:
        return Verdict("not_applicable")
    findings = check(code)
    return Verdict("needs_changes" if findings else "approve", findings, checked=True)


def workspace_verdict(workspace: Workspace) -> Verdict:
    """The static checks over every Python file of a workspace; each finding's message names its file."""
    paths = sorted(path for path in workspace.files if path.endswith(".py"))
    if not paths:
        return Verdict("not_applicable")
    findings = [replace(f, message=f"{path}: {f.message}") for path in paths for f in check(workspace.files[path])]
    return Verdict("needs_changes" if findings else "approve", findings, checked=True)


def by_tests(verdict: Verdict, run: Run) -> Verdict:
    """`verdict` decided by a test run: a failing run needs changes; a passing one approves.

    Tests are the ground truth: warnings do not hold back code whose tests
    pass, but an error finding or a model's objection still does.
    """
    failing = not run.ok or (run.tests is not None and (run.tests.failed or run.tests.errors))
    if failing or verdict.errors or verdict.model_decision == "needs_changes":
        return replace(verdict, decision="needs_changes", checked=True, run=run)
    return replace(verdict, decision="approve", checked=True, run=run)


def model_verdict(text: str) -> Decision | None:
    """The decision a model stated on its `VERDICT: {...}` line, if it wrote a valid one."""
    matches = _MODEL_VERDICT.findall(text)
    if not matches:
        return None
    try:
        decision = json.loads(matches[-1]).get("verdict")
    except (json.JSONDecodeError, AttributeError):
        return None
    return decision if decision in ("approve", "needs_changes", "not_applicable") else None


def combine(static: Verdict, stated: Decision | None) -> Verdict:
    """Static findings overrule a model's approval; a model's `needs_changes` stands even without findings.

    Checkable evidence wins: a model cannot approve code that fails the checks,
    but it may object to code that passes them (logic errors are not static).
    """
    decision = static.decision
    if stated == "needs_changes" and static.decision != "needs_changes":
        decision = "needs_changes"
    elif stated == "approve" and static.decision == "not_applicable":
        decision = "not_applicable"
    return Verdict(decision, static.findings, static.checked, stated)
