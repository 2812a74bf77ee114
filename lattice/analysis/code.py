"""Finding Python code in text: fenced blocks, or a whole message that is itself a program."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)([^\n]*)\n(.*?)```", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3"}


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its language tag (lower case, may be empty), its text, and the rest of its info line."""

    language: str
    code: str
    info: str = ""

    @property
    def is_python(self) -> bool:
        """Whether the tag names Python (an untagged block is taken as Python)."""
        return self.language in _PYTHON_TAGS


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block in `text`, in order."""
    return [CodeBlock(m.group(1).lower(), m.group(3), m.group(2).strip()) for m in _FENCE.finditer(text)]


def parses(code: str) -> bool:
    """Whether `code` is syntactically valid Python."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def python_code(text: str) -> str | None:
    """The Python code in `text`: its Python blocks joined, or the whole text if it is a program itself.

    A bare message counts as a program only if it parses and defines or imports
    something, so ordinary prose (which rarely parses) is never mistaken for code.
    """
    blocks = [b.code for b in code_blocks(text) if b.is_python]
    if blocks:
        return "\n".join(blocks)
    if "\n" not in text.strip():
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    defines = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return text if any(isinstance(node, defines) for node in tree.body) else None


def parse_ratio(text: str) -> tuple[int, int]:
    """(Python blocks that parse, Python blocks) in `text`."""
    blocks = [b for b in code_blocks(text) if b.is_python]
    return sum(parses(b.code) for b in blocks), len(blocks)
