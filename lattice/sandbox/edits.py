"""How an engineer's answer changes a workspace: its fenced blocks that name a file replace that file.

A block names its file on its info line (```` ```python app/auth.py ````,
```` ```python title="app/auth.py" ````) or on its first line (`# path: app/auth.py`).
An unnamed Python block replaces the file under revision, when there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lattice.analysis.code import CodeBlock, code_blocks
from lattice.sandbox.junit import TestReport
from lattice.sandbox.workspace import Workspace, WorkspaceError, checked_path

_FIRST_LINE = re.compile(r"^\s*(?:#|//)\s*(?:path|file(?:name)?)\s*:\s*(\S+)\s*$", re.IGNORECASE)
_INFO_KEY = re.compile(r"""(?:title|path|file(?:name)?)\s*=\s*["']?([^"'\s]+)""", re.IGNORECASE)
# A test report's traceback line that names a file of the workspace: `app/auth.py:12: AssertionError`
# (pytest's short form) or `File "/tmp/workspace/app/auth.py", line 12` (a native traceback).
_TRACE_FILE = re.compile(r"""(?:File "(?:/tmp/workspace/)?([^"]+\.py)", line \d+|^([\w./-]+\.py):\d+:)""", re.M)


@dataclass
class Edit:
    """The workspace after an answer's blocks were written, which files changed, and blocks left unwritten."""

    workspace: Workspace
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def block_path(block: CodeBlock) -> tuple[str | None, str]:
    """The file a block names, if any, and its content (without a naming first line)."""
    info = block.info.lstrip(":").strip()
    keyed = _INFO_KEY.search(info)
    named = keyed.group(1) if keyed else next((w for w in info.split() if "." in w or "/" in w), None)
    if named is not None:
        return named, block.code
    first, _, rest = block.code.partition("\n")
    match = _FIRST_LINE.match(first)
    if match:
        return match.group(1), rest
    return None, block.code


def file_under_revision(workspace: Workspace, report: TestReport | None) -> str | None:
    """The source file an unnamed block replaces: the one the first failure points into, or the only one."""
    sources = workspace.sources()
    failure = report.first_failure if report else None
    if failure is not None:
        for match in reversed(list(_TRACE_FILE.finditer(failure.detail))):
            path = match.group(1) or match.group(2)
            if path in sources:
                return path
    return sources[0] if len(sources) == 1 else None


def apply_answer(workspace: Workspace, text: str, target: str | None) -> Edit:
    """`workspace` with the answer's file blocks written into it (a copy: the given one is unchanged)."""
    edited = Workspace(dict(workspace.files), workspace.max_files, workspace.max_bytes)
    edit = Edit(edited)
    unnamed: list[str] = []
    for block in code_blocks(text):
        path, content = block_path(block)
        if path is None:
            if block.is_python:
                unnamed.append(content)
            continue
        _write(edit, path, content)
    if unnamed:
        if target is not None:
            _write(edit, target, "\n".join(unnamed))
        else:
            edit.skipped.append("unnamed code block (no single file under revision; name the file)")
    return edit


def _write(edit: Edit, path: str, content: str) -> None:
    text = content if content.endswith("\n") else content + "\n"
    try:
        normal = checked_path(path)
        if edit.workspace.files.get(normal) == text:
            return
        edit.workspace.put(normal, text)
    except WorkspaceError as error:
        edit.skipped.append(f"{PurePosixPath(path).name or path}: {error.detail}")
        return
    if normal not in edit.changed:
        edit.changed.append(normal)
