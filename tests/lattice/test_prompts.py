"""A prompt shows the workspace within a budget, and never passes part of a file off as the whole of it."""

from __future__ import annotations

from lattice.prompts import render_workspace
from lattice.sandbox import Workspace


def test_small_files_are_shown_whole() -> None:
    text = render_workspace(Workspace({"app.py": "x = 1\n"}))
    assert "### app.py\n```\nx = 1\n\n```" in text and "characters)" not in text


def test_a_cut_file_says_how_much_of_it_is_shown() -> None:
    text = render_workspace(Workspace({"big.py": "#" * 30_000}))
    assert "### big.py (first 20000 of 30000 characters)" in text


def test_files_past_the_budget_are_named_not_shown() -> None:
    files = {f"m{i:02}.py": "#" * 19_000 for i in range(8)}
    text = render_workspace(Workspace(files))
    assert "### m05.py" in text and "### m07.py" not in text
    assert text.splitlines()[-1] == "Not shown (over the prompt's budget): m07.py"
