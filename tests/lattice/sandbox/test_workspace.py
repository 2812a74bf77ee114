"""A workspace takes plain relative paths within its bounds and refuses everything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice.sandbox import Workspace, WorkspaceError, checked_path


@pytest.mark.parametrize(
    "path", ["../secret", "a/../../b", "/etc/passwd", "", ".", "./a", "a//b", "a/", "a\\b", "a\x00b", "x" * 300]
)
def test_paths_that_leave_the_workspace_or_are_not_paths_are_refused(path: str) -> None:
    with pytest.raises(WorkspaceError) as raised:
        checked_path(path)
    assert raised.value.code == "invalid_workspace"


def test_plain_relative_paths_are_taken_as_they_are() -> None:
    assert checked_path("app/auth.py") == "app/auth.py"
    assert checked_path(".env.example") == ".env.example" and checked_path("a/..b/c") == "a/..b/c"


def test_count_and_size_are_bounded() -> None:
    with pytest.raises(WorkspaceError, match="at most 2 files"):
        Workspace({"a.py": "", "b.py": "", "c.py": ""}, max_files=2)
    with pytest.raises(WorkspaceError, match="at most 10 bytes"):
        Workspace({"a.py": "x" * 11}, max_bytes=10)


def test_tests_and_sources_are_told_apart() -> None:
    workspace = Workspace({"app/auth.py": "", "tests/test_auth.py": "", "auth_test.py": "", "README.md": ""})
    assert workspace.has_tests()
    assert workspace.sources() == ["app/auth.py"]
    assert not Workspace({"app.py": ""}).has_tests()


def test_a_workspace_written_and_read_back_is_the_same(tmp_path: Path) -> None:
    workspace = Workspace({"app/auth.py": "x = 1\n", "test_auth.py": "y = 2\n"})
    workspace.write(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "auth.cpython-311.pyc").write_bytes(b"\x00\xff")
    assert Workspace.read(tmp_path, workspace).files == workspace.files


def test_files_a_run_made_that_no_request_could_give_are_left_behind(tmp_path: Path) -> None:
    (tmp_path / "a\\b.txt").write_text("odd name")
    (tmp_path / "kept.txt").write_text("fine")
    assert Workspace.read(tmp_path, Workspace(max_files=5)).files == {"kept.txt": "fine"}
