"""An engineer's answer edits a workspace through the blocks that name their files."""

from __future__ import annotations

from lattice.sandbox import Workspace, parse_junit
from lattice.sandbox.edits import apply_answer, file_under_revision

FENCE = "```"


def answer(*blocks: str) -> str:
    return "Here is the change.\n\n" + "\n".join(f"{FENCE}{block}{FENCE}\n" for block in blocks)


def test_a_first_line_path_comment_names_the_file_and_is_not_written() -> None:
    edit = apply_answer(Workspace({"app/auth.py": "old\n"}), answer("python\n# path: app/auth.py\nnew = 1\n"), None)
    assert edit.changed == ["app/auth.py"] and edit.workspace.files["app/auth.py"] == "new = 1\n"


def test_the_info_string_can_name_the_file() -> None:
    text = answer("python app/models.py\nx = 1\n", 'python title="app/views.py"\ny = 2\n', "python:cli.py\nz = 3\n")
    edit = apply_answer(Workspace(), text, None)
    assert edit.workspace.files == {"app/models.py": "x = 1\n", "app/views.py": "y = 2\n", "cli.py": "z = 3\n"}


def test_an_unnamed_block_replaces_the_file_under_revision_only() -> None:
    given = Workspace({"calc.py": "a = 1\n", "test_calc.py": "t = 1\n"})
    edit = apply_answer(given, answer("python\na = 2\n", "bash\npytest -q\n"), "calc.py")
    assert edit.workspace.files == {"calc.py": "a = 2\n", "test_calc.py": "t = 1\n"}
    assert given.files["calc.py"] == "a = 1\n"  # the given workspace is left as it was
    unaimed = apply_answer(given, answer("python\na = 2\n"), None)
    assert unaimed.changed == [] and "name the file" in unaimed.skipped[0]


def test_a_block_naming_a_path_outside_the_workspace_is_skipped() -> None:
    edit = apply_answer(
        Workspace(), answer("python\n# path: ../../etc/cron.d/x\nboom\n", "python /etc/x.py\nboom\n"), None
    )
    assert edit.changed == [] and edit.workspace.files == {} and len(edit.skipped) == 2


def test_an_identical_block_changes_nothing() -> None:
    edit = apply_answer(Workspace({"a.py": "x = 1\n"}), answer("python\n# path: a.py\nx = 1\n"), None)
    assert edit.changed == []


def test_the_file_under_revision_is_the_one_the_failure_points_into() -> None:
    workspace = Workspace({"app/calc.py": "", "app/money.py": "", "tests/test_calc.py": ""})
    failure = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/workspace/tests/test_calc.py", line 4, in test_add\n    assert add(1, 2) == 3\n'
        '  File "/tmp/workspace/app/calc.py", line 2, in add\n    return a - b\n'
        "AssertionError\n"
    )
    xml = f'<testsuite><testcase name="t"><failure message="m">{failure}</failure></testcase></testsuite>'
    assert file_under_revision(workspace, parse_junit(xml)) == "app/calc.py"
    assert file_under_revision(workspace, None) is None  # two sources and no failure: no guess
    assert file_under_revision(Workspace({"only.py": "", "test_only.py": ""}), None) == "only.py"
