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
from collections.abc import Callable, Iterable, Iterator
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


def bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """The names `nodes` bind: assignments, definitions, parameters, imports, handlers, patterns, declarations."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
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


@dataclass(frozen=True)
class _Module:
    """What the rules need to know of the whole module: the names it binds and the names it uses."""

    bound: set[str]
    loaded: set[str]


def _undefined_name(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if node.id not in module.bound and node.id not in _BUILTINS:
            yield Finding("undefined-name", node.lineno, f"name '{node.id}' is not defined", "error")


def _unused_import(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return
    for alias in node.names:
        if alias.name != "*" and (alias.asname or alias.name).split(".")[0] not in module.loaded:
            yield Finding("unused-import", node.lineno, f"'{alias.name}' is imported but unused", "warning")


def _bare_except(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if isinstance(node, ast.ExceptHandler) and node.type is None:
        why = "bare `except:` also catches KeyboardInterrupt and SystemExit; name the exceptions"
        yield Finding("bare-except", node.lineno, why, "warning")


def _eval_call(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"eval", "exec"}:
        why = f"`{node.func.id}` runs arbitrary code; parse or dispatch explicitly instead"
        yield Finding(f"{node.func.id}-call", node.lineno, why, "error")


def _mutable_default(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return
    for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
        if _is_mutable(default):
            why = "mutable default argument is shared between calls; default to None"
            yield Finding("mutable-default", default.lineno, why, "warning")


def _secret_assignment(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return
    value = node.value
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str) and len(value.value) >= 8):
        return
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
        if _SECRET_NAME.search(name):
            yield Finding(
                "hardcoded-secret",
                node.lineno,
                f"'{name}' holds a literal secret; read it from the environment",
                "error",
            )
            return


def _secret_literal(node: ast.AST, module: _Module) -> Iterator[Finding]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SECRET_VALUE.match(node.value):
        yield Finding("hardcoded-secret", node.lineno, "string literal looks like an API key", "error")


_RULES: tuple[Callable[[ast.AST, _Module], Iterator[Finding]], ...] = (
    _undefined_name,
    _unused_import,
    _bare_except,
    _eval_call,
    _mutable_default,
    _secret_assignment,
    _secret_literal,
)


def check(source: str) -> list[Finding]:
    """Every finding in `source`, ordered by line; a syntax error is the only finding when present."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [Finding("syntax-error", exc.lineno or 1, f"syntax error: {exc.msg}", "error")]
    module = _Module(bound_names(ast.walk(tree)), _loaded_names(tree))
    findings = [finding for node in ast.walk(tree) for rule in _RULES for finding in rule(node, module)]
    unique = {(f.rule, f.line, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.rule))
