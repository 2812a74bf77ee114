"""A workspace: the files a run sees, by relative path, checked before anything touches a disk."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aura import AuraError
from aura.settings import SandboxSettings


class WorkspaceError(AuraError):
    """A file path or size a workspace does not take (absolute, `..`, too many or too large files)."""

    default_code = "invalid_workspace"


# A path is segments joined by "/", none of them empty, "." or "..", with no backslash or NUL: a file inside the
# workspace, in one spelling only. The API's schema carries the same pattern.
_SEGMENT = r"(?:[^/\\\x00.][^/\\\x00]*|\.[^/\\\x00.][^/\\\x00]*|\.\.[^/\\\x00]+)"
#: What a workspace path must match (also in the OpenAPI document).
PATH_PATTERN = rf"^{_SEGMENT}(?:/{_SEGMENT})*$"
#: The longest workspace path.
PATH_CHARS = 255
_PATH = re.compile(PATH_PATTERN)


def checked_path(path: str) -> str:
    """`path` itself if it is a plain relative path inside the workspace (`PATH_PATTERN`), else a `WorkspaceError`."""
    if path.startswith("/"):
        raise WorkspaceError(detail=f"{path!r} is absolute; paths are relative to the workspace")
    if ".." in PurePosixPath(path).parts:
        raise WorkspaceError(detail=f"{path!r} leaves the workspace")
    if len(path) > PATH_CHARS or not _PATH.fullmatch(path):
        raise WorkspaceError(detail=f"{path!r} is not a file path: segments joined by '/', none empty or '.'")
    return path


@dataclass
class Workspace:
    """Files by relative path; `max_files` and `max_bytes` bound what it may hold."""

    files: dict[str, str] = field(default_factory=dict)
    max_files: int = 64
    max_bytes: int = 8 * 1024 * 1024

    def __post_init__(self) -> None:
        given, self.files = self.files, {}
        for path, content in given.items():
            self.put(path, content)

    @classmethod
    def within(cls, settings: SandboxSettings, files: Iterable[tuple[str, str]] = ()) -> Workspace:
        """A workspace bounded as the sandbox settings bound a request, holding `files` (path, content)."""
        workspace = cls(max_files=settings.max_files, max_bytes=settings.workspace_mb * 1024 * 1024)
        for path, content in files:
            workspace.put(path, content)
        return workspace

    def put(self, path: str, content: str) -> str:
        """Write one file (replacing one of the same path); returns its normal path."""
        normal = checked_path(path)
        files = {**self.files, normal: content}
        if len(files) > self.max_files:
            raise WorkspaceError(detail=f"a workspace holds at most {self.max_files} files")
        size = sum(len(text.encode()) for text in files.values())
        if size > self.max_bytes:
            raise WorkspaceError(detail=f"a workspace holds at most {self.max_bytes} bytes of files")
        self.files = files
        return normal

    def has_tests(self) -> bool:
        """Whether any file is a pytest test module."""
        return any(_is_test(path) for path in self.files)

    def sources(self) -> list[str]:
        """The Python files that are not tests, in path order."""
        return sorted(p for p in self.files if p.endswith(".py") and not _is_test(p))

    def write(self, directory: Path) -> None:
        """Lay the files out under `directory` (which must exist)."""
        for path, content in self.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)

    @classmethod
    def read(cls, directory: Path, like: Workspace) -> Workspace:
        """The text files under `directory` after a run, bounded as `like` is (caches and bytecode left out).

        A file the run made that a workspace cannot hold (a name no request could give, too many, too
        large) is left behind.
        """
        found: list[Path] = []
        for root, dirs, names in os.walk(directory):  # symlinked directories are not followed
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
            found += [Path(root) / name for name in names]
        kept = cls(max_files=like.max_files, max_bytes=like.max_bytes)
        for target in sorted(found):
            # Only regular files, and none larger than a whole workspace: the run wrote them, not a request.
            if target.is_symlink() or not target.is_file() or target.stat().st_size > like.max_bytes:
                continue
            try:
                kept.put(str(target.relative_to(directory)), target.read_text())
            except (UnicodeDecodeError, OSError, WorkspaceError):
                continue
        return kept


def _is_test(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
