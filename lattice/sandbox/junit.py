"""Per-test results of a pytest run, read from the JUnit XML it wrote."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]

#: How much of a failure's traceback a report keeps.
_DETAIL_CHARS = 4000


@dataclass(frozen=True)
class TestCase:
    """One test's outcome, with the failure's message and traceback when it did not pass."""

    __test__ = False  # not a pytest test class

    name: str
    outcome: Outcome
    message: str = ""
    detail: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class TestReport:
    """The outcomes of one pytest run."""

    __test__ = False

    cases: list[TestCase] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many tests had `outcome`."""
        return sum(case.outcome == outcome for case in self.cases)

    @property
    def passed(self) -> int:
        """Tests that passed."""
        return self.count("passed")

    @property
    def failed(self) -> int:
        """Tests whose assertions failed."""
        return self.count("failed")

    @property
    def errors(self) -> int:
        """Tests that could not run (a fixture or collection error)."""
        return self.count("error")

    @property
    def failing(self) -> int:
        """Tests that did not pass: failed or errored."""
        return self.failed + self.errors

    @property
    def total(self) -> int:
        """Tests that ran or should have (skipped ones excluded)."""
        return len(self.cases) - self.count("skipped")

    @property
    def first_failure(self) -> TestCase | None:
        """The first test that failed or errored."""
        return next((case for case in self.cases if case.outcome in ("failed", "error")), None)

    def share_passed(self) -> float:
        """The share of tests that passed (0 when none ran)."""
        return self.passed / self.total if self.total else 0.0


def from_frames_under(detail: str, root: str) -> str:
    """A native traceback without the frames before the first one in `root` (pytest's and pluggy's own)."""
    lines = detail.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(f'  File "{root}/')), None)
    if first is None or not lines[0].startswith("Traceback"):
        return detail
    return "\n".join([lines[0], *lines[first:]])


def parse_junit(xml: str, workspace: str | None = None) -> TestReport:
    """The report in a JUnit XML document (pytest's `--junitxml`); an unreadable one yields no cases.

    With `workspace` (a directory), native tracebacks start at the first frame of a file under it.
    """
    try:
        document = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return TestReport()
    cases = []
    for element in document.iter("testcase"):
        name = ".".join(part for part in (element.get("classname"), element.get("name")) if part)
        outcome: Outcome = "passed"
        message = detail = ""
        for child, meaning in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            found = element.find(child)
            if found is not None:
                outcome = meaning  # type: ignore[assignment]  # one of the Outcome literals above
                message = found.get("message", "")
                detail = found.text or ""
                detail = (from_frames_under(detail, workspace) if workspace else detail)[-_DETAIL_CHARS:]
                break
        cases.append(TestCase(name, outcome, message, detail, float(element.get("time") or 0.0)))
    return TestReport(cases)
