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


def test_a_stdlib_module_used_without_its_import_gets_one_after_the_docstring() -> None:
    source = '"""Doc."""\n\nfrom __future__ import annotations\n\n\ndef area(r):\n    return math.pi * r**2\n'
    result = apply_fixes(source)
    assert result.code == (
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport math\n\n\ndef area(r):\n    return math.pi * r**2\n'
    )
    assert result.applied == ["line 7: added `import math`: 'math' is a standard-library module used without an import"]
    assert result.remaining == []
    # With the other imports; a submodule reached through attributes is imported by its path.
    joined = apply_fixes("import os\n\n\ndef f(s):\n    return os.sep, xml.etree.ElementTree.fromstring(s)\n")
    assert joined.code.startswith("import xml.etree.ElementTree\nimport os\n")
    # Not for a bare use, nor for an attribute the module does not have.
    assert apply_fixes("def f(x):\n    return isinstance(x, datetime)\n").applied == []
    assert apply_fixes("def f():\n    return math.tau_squared\n").applied == []


def test_a_misspelt_name_becomes_the_one_defined_name_within_two_edits() -> None:
    source = "def reorder(levels):\n    items = sorted(levels)\n    return [sku for sku in itmes]\n"
    result = apply_fixes(source)
    assert "for sku in items]" in result.code  # `items` is one swap away; `iter` two edits
    assert result.applied == ["line 3: misspelt name 'itmes' → 'items'"]
    assert result.remaining == []
    assert apply_fixes("pirnt('hi')\n").code == "print('hi')\n"  # builtins are defined names too


def test_an_ambiguous_or_short_misspelling_is_left_for_a_person() -> None:
    ambiguous = apply_fixes("cat = 1\ncar = 2\nprint(cap)\n")
    assert ambiguous.applied == [] and ambiguous.code == "cat = 1\ncar = 2\nprint(cap)\n"
    assert [f.message for f in ambiguous.remaining] == ["name 'cap' is not defined"]
    short = apply_fixes("ab = 1\nprint(ac)\n")
    assert short.applied == [] and [f.rule for f in short.remaining] == ["undefined-name"]


def test_names_out_of_scope_or_shadowed_locally_are_not_renamed() -> None:
    # `items` is another function's local, out of reach here: not renamed to it, nor to the farther `iter`.
    elsewhere = "def f():\n    items = []\n    return items\n\n\ndef g():\n    return itmes\n"
    assert apply_fixes(elsewhere).applied == []
    # A method does not see its class's attributes as names: `limt` is not made `list` in place of `limit`.
    method = "class A:\n    limit = 3\n\n    def f(self):\n        return limt\n"
    assert apply_fixes(method).applied == []
    # `totl` is bound in `g`, so it is defined and no use of it is touched, though `total` is one edit away.
    shadowed = "total = 0\n\n\ndef g():\n    totl = 1\n    return totl\n\n\ndef h():\n    return total\n"
    assert apply_fixes(shadowed).code == shadowed


def test_renames_touch_only_names_in_code_never_strings_or_comments() -> None:
    source = "def f(total):\n    # totl is the running sum\n    return f'{totl} totl', 'totl', totl\n"
    result = apply_fixes(source)
    assert result.code == "def f(total):\n    # totl is the running sum\n    return f'{total} totl', 'totl', total\n"
    assert result.applied == ["line 3: misspelt name 'totl' → 'total'"]


def test_applying_the_fixes_twice_changes_nothing_the_second_time() -> None:
    source = """import os


def f(x=[]):
    try:
        return math.sqrt(len(x))
    except:
        return x


def g(length):
    return lenght
"""
    once = apply_fixes(source)
    assert len(once.applied) == 5 and once.remaining == []  # os, x=[], except:, math, lenght
    compile(once.code, "<fixed>", "exec")
    twice = apply_fixes(once.code)
    assert twice.code == once.code and twice.applied == [] and twice.remaining == []


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
