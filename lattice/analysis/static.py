"""Static checks of Python source with `ast`: the reviewer's checkable findings.

Scopes are approximated: a name counts as defined if it is bound anywhere in
the module (or is a builtin). That misses some shadowing bugs but never
reports a name that a reader would see defined, which matters more for a
reviewer whose verdict drives a revision loop.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

_SECRET_NAME = re.compile(r"(passw(or)?d|secret|token|api_?key|private_?key|access_?key|credential)", re.I)
_SECRET_VALUE = re.compile(
    r"^(sk-[A-Za-z0-9_-]{16,}|sk_(live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,})$"
)
_MUTABLE_CALLS = {"list", "dict", "set", "bytearray", "defaultdict", "deque", "OrderedDict"}
_BUILTINS = set(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__spec__",
    "__package__",
    "__builtins__",
    "__loader__",
    "__path__",
    "__annotations__",
    "__class__",
}


@dataclass(frozen=True)
class Finding:
    """One problem at one line: which rule, how bad, and what to do."""

    rule: str
    line: int
    message: str
    severity: Severity


def _bound_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _loaded_names(tree: ast.AST) -> set[str]:
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    # `__all__ = ["name"]` exports a name, which is a use of it.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                loaded.update(
                    e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                )
    # Names inside string annotations are uses too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            loaded.add(node.value)
    return loaded


def _is_mutable(node: ast.expr) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _MUTABLE_CALLS


def check(source: str) -> list[Finding]:
    """Every finding in `source`, ordered by line; a syntax error is the only finding when present."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [Finding("syntax-error", exc.lineno or 1, f"syntax error: {exc.msg}", "error")]
    findings: list[Finding] = []
    bound, loaded = _bound_names(tree), _loaded_names(tree)

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in bound and node.id not in _BUILTINS:
                findings.append(Finding("undefined-name", node.lineno, f"name '{node.id}' is not defined", "error"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                if alias.name == "*":
                    continue
                local = (alias.asname or alias.name).split(".")[0]
                if local not in loaded:
                    findings.append(
                        Finding("unused-import", node.lineno, f"'{alias.name}' is imported but unused", "warning")
                    )
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            findings.append(
                Finding(
                    "bare-except",
                    node.lineno,
                    "bare `except:` also catches KeyboardInterrupt and SystemExit; name the exceptions",
                    "warning",
                )
            )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"eval", "exec"}:
            findings.append(
                Finding(
                    f"{node.func.id}-call",
                    node.lineno,
                    f"`{node.func.id}` runs arbitrary code; parse or dispatch explicitly instead",
                    "error",
                )
            )
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            defaults = list(node.args.defaults) + [d for d in node.args.kw_defaults if d is not None]
            for default in defaults:
                if _is_mutable(default):
                    findings.append(
                        Finding(
                            "mutable-default",
                            default.lineno,
                            "mutable default argument is shared between calls; default to None",
                            "warning",
                        )
                    )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and len(value.value) >= 8:
                for target in targets:
                    name = (
                        target.id
                        if isinstance(target, ast.Name)
                        else target.attr
                        if isinstance(target, ast.Attribute)
                        else ""
                    )
                    if _SECRET_NAME.search(name):
                        findings.append(
                            Finding(
                                "hardcoded-secret",
                                node.lineno,
                                f"'{name}' holds a literal secret; read it from the environment",
                                "error",
                            )
                        )
                        break
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SECRET_VALUE.match(node.value):
            findings.append(Finding("hardcoded-secret", node.lineno, "string literal looks like an API key", "error"))

    unique = {(f.rule, f.line, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.rule))
