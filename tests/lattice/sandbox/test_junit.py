"""Pytest's JUnit XML becomes per-test outcomes with the failure's message and traceback."""

from __future__ import annotations

from lattice.sandbox import parse_junit

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="test_calc" name="test_add" time="0.001">
<failure message="assert -1 == 3">def test_add():
&gt;       assert add(1, 2) == 3
E       assert -1 == 3</failure></testcase>
<testcase classname="test_calc" name="test_zero" time="0.002"/>
<testcase classname="test_calc" name="test_skip"><skipped message="later"/></testcase>
<testcase classname="" name="test_calc"><error message="collection failure">ImportError</error></testcase>
</testsuite></testsuites>"""


def test_each_outcome_is_counted() -> None:
    report = parse_junit(REPORT)
    assert (report.passed, report.failed, report.errors, report.total) == (1, 1, 1, 3)
    assert report.share_passed() == 1 / 3


def test_the_first_failure_carries_its_message_and_traceback() -> None:
    failure = parse_junit(REPORT).first_failure
    assert failure is not None
    assert (failure.name, failure.message) == ("test_calc.test_add", "assert -1 == 3")
    assert "assert add(1, 2) == 3" in failure.detail


def test_an_unreadable_report_has_no_cases() -> None:
    report = parse_junit("<testsuite><testcase")
    assert report.cases == [] and report.total == 0 and report.share_passed() == 0.0


def test_native_tracebacks_start_in_the_workspace() -> None:
    native = (
        "Traceback (most recent call last):\n"
        '  File "/venv/site-packages/_pytest/python.py", line 159, in pytest_pyfunc_call\n'
        "    result = testfunction(**testargs)\n"
        '  File "/tmp/workspace/test_calc.py", line 4, in test_add\n'
        "    assert add(1, 2) == 3\n"
        "AssertionError: assert -1 == 3\n"
    )
    xml = f'<testsuite><testcase name="t"><failure message="m">{native}</failure></testcase></testsuite>'
    detail = parse_junit(xml, "/tmp/workspace").cases[0].detail
    assert detail.splitlines()[0] == "Traceback (most recent call last):"
    assert "_pytest" not in detail and 'File "/tmp/workspace/test_calc.py", line 4' in detail
