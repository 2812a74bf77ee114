"""The offline analyses and workflow rules: static checks, fixes, tracebacks, decomposition, selection, merge."""

from __future__ import annotations

from lattice.analysis.code import python_code
from lattice.analysis.decompose import decompose
from lattice.analysis.fixes import apply_fixes
from lattice.analysis.static import check
from lattice.analysis.tracebacks import parse_tracebacks
from lattice.verdict import combine, model_verdict, static_verdict
from lattice.workflow import select

SOURCE = '''import os
import sys, json

def f(x=[], *, y={}):
    """Doc."""
    try:
        return json.dumps(x)
    except:
        return sys.argv

def g(code):
    return eval(code) + missing_name

PASSWORD = "hunter2hunter2"
'''


def test_static_checks_find_each_rule_at_its_line() -> None:
    found = {(f.rule, f.line) for f in check(SOURCE)}
    assert found == {
        ("unused-import", 1),
        ("mutable-default", 4),
        ("bare-except", 8),
        ("eval-call", 12),
        ("undefined-name", 12),
        ("hardcoded-secret", 14),
    }
    assert [f.rule for f in check("def broken(:\n  pass\n")] == ["syntax-error"]
    assert check("import os\nprint(os.getcwd())\n") == []


def test_fixes_make_only_mechanical_changes_and_report_the_rest() -> None:
    result = apply_fixes(SOURCE)
    assert "except Exception:" in result.code and "import os" not in result.code
    assert "def f(x=None, *, y=None):" in result.code and "x = []" in result.code and "y = {}" in result.code
    compile(result.code, "<fixed>", "exec")
    assert {f.rule for f in result.remaining} == {"eval-call", "undefined-name", "hardcoded-secret"}
    clean = apply_fixes("def h(a=[]):\n    return a\n")
    assert clean.remaining == [] and static_verdict(clean.code).decision == "approve"


def test_traceback_parsing_finds_the_user_frame_and_cause() -> None:
    text = """It crashes:
Traceback (most recent call last):
  File "/srv/app/main.py", line 12, in <module>
    run()
  File "/srv/app/main.py", line 8, in run
    port = config["port"]
           ~~~~~~^^^^^^^^
  File "/usr/lib/python3.11/site-packages/box.py", line 3, in __getitem__
    raise KeyError(key)
KeyError: 'port'
"""
    [parsed] = parse_tracebacks(text)
    assert parsed.exception == "KeyError" and parsed.message == "'port'"
    assert len(parsed.frames) == 3
    assert (parsed.culprit.file, parsed.culprit.line, parsed.culprit.function) == ("/srv/app/main.py", 8, "run")
    assert "'port'" in parsed.likely_cause()
    assert parse_tracebacks("no traceback here") == []


def test_decomposition_takes_requirements_constraints_and_components_from_the_words() -> None:
    d = decompose("Build a REST API backed by Postgres. It must answer within 200 ms for 1000 users.")
    assert d.requirements == ["It must answer within 200 ms for 1000 users."]
    assert d.constraints == ["1000 users", "200 ms"]
    names = [n for n, _ in d.components]
    assert "HTTP API" in names and "persistence" in names and "user interface" not in names
    assert "Which language and runtime should it use?" in d.questions


def test_workflow_rules_use_whole_words_and_precedence() -> None:
    assert select("I get an error when saving").name == "debug"
    assert select("add a prefix to names").name == "default"  # "prefix" is not "fix"
    assert select("please review and fix this").name == "debug"  # debug outranks review
    assert select("How to parse JSON in Python").name == "research"
    assert select("Check my function").roles == ("reviewer", "engineer", "synthesizer")
    assert select("Build a todo app").roles == ("architect", "engineer", "reviewer", "synthesizer")
    custom = select("anything", ["reviewer", "research", "synthesizer", "architect"])
    assert custom.roles == ("reviewer", "research", "architect", "synthesizer")
    assert custom.stages() == [("reviewer",), ("research", "architect")]
    assert select("x", ["research", "debugger", "engineer"]).stages() == [("research", "debugger"), ("engineer",)]


def test_verdicts_let_checks_overrule_a_models_approval() -> None:
    stated = model_verdict('Looks fine.\nVERDICT: {"verdict": "approve"}\n')
    assert stated == "approve"
    assert model_verdict("VERDICT: approve") is None
    failing = static_verdict(python_code("```python\nprint(undefined)\n```"))
    assert combine(failing, stated).decision == "needs_changes"
    assert combine(static_verdict("x = 1\n"), "needs_changes").decision == "needs_changes"
    assert static_verdict(python_code("just words, no code")).decision == "not_applicable"
