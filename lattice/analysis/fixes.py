"""Mechanical fixes the offline engineer can make for reviewer findings, by editing source lines.

Only rewrites whose correctness does not depend on intent are made: a bare
`except:` becomes `except Exception:`, unused imports go, a mutable default
becomes `None` with the same value created per call, a standard-library
module used as `module.attr` without an import gets its `import`, and a
misspelt name gets the one defined name within two edits of it. To tell a
missing module from a misspelt variable (`token.value` meaning `tokens`),
the module is imported here and must have every attribute the code uses.
Everything else (undefined names with no single candidate, eval, secrets,
syntax errors) needs a decision a program cannot make, so it is reported as
not fixed.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

from lattice.analysis.static import Finding, bound_names, check

# The fixes by name. The first three are static rules; the last two both act on `undefined-name`
# findings, which stay in `remaining` when neither fix applies, since then they need a decision.
FIXABLE = {"bare-except", "unused-import", "mutable-default", "missing-import", "misspelled-name"}

_UNDEFINED = re.compile(r"name '([^']+)' is not defined")
_BUILTIN_NAMES = frozenset(dir(builtins))
# Standard-library modules whose import does something (prints, opens a browser, runs a test
# suite or a GUI) or stands for the running program: never imported to look at their attributes.
_NOT_INSPECTED = frozenset(
    {"__main__", "__hello__", "__phello__", "antigravity", "this", "idlelib", "test", "tkinter", "turtle", "turtledemo"}
)
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


@dataclass
class FixResult:
    """The revised source, what was changed, and the findings left for a person."""

    code: str
    applied: list[str] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)


def _indent(line: str) -> str:
    """The whitespace a source line starts with."""
    return line[: len(line) - len(line.lstrip())]


def _fix_bare_excepts(lines: list[str], tree: ast.AST, applied: list[str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is None:
            index = node.lineno - 1
            new = re.sub(r"\bexcept\s*:", "except Exception:", lines[index], count=1)
            if new != lines[index]:
                lines[index] = new
                applied.append(f"line {node.lineno}: bare `except:` → `except Exception:`")


def _fix_unused_imports(lines: list[str], tree: ast.Module, unused: set[str], applied: list[str]) -> None:
    # Bottom-up, so earlier line numbers stay valid while lines are replaced.
    for node in sorted(
        (n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), key=lambda n: n.lineno, reverse=True
    ):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        keep = [a for a in node.names if (a.asname or a.name).split(".")[0] not in unused or a.name == "*"]
        if len(keep) == len(node.names):
            continue
        dropped = [a.name for a in node.names if a not in keep]
        indent = _indent(lines[node.lineno - 1])
        start, end = node.lineno - 1, (node.end_lineno or node.lineno)
        if keep:
            rebuilt = ast.unparse(type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": keep}))
            lines[start:end] = [indent + rebuilt]
        else:
            del lines[start:end]
        applied.append(f"line {node.lineno}: removed unused import {', '.join(dropped)}")


def _fix_mutable_defaults(source: str, applied: list[str]) -> str:
    """One function per pass (line numbers shift after an insert); repeat until none is left."""
    for _ in range(100):
        tree = ast.parse(source)
        lines = source.splitlines()
        target = None
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = node.args.posonlyargs + node.args.args
                defaulted = positional[len(positional) - len(node.args.defaults) :]
                pairs = list(zip(defaulted, node.args.defaults, strict=True))
                keyword = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                pairs += [(a, d) for a, d in keyword if d is not None]
                mutable = [(a, d) for a, d in pairs if _mutable(d) and d.lineno == d.end_lineno]
                if mutable:
                    target = (node, mutable)
                    break
        if target is None:
            return source
        node, mutable = target
        body_first = node.body[0]
        has_doc = (
            isinstance(body_first, ast.Expr)
            and isinstance(body_first.value, ast.Constant)
            and isinstance(body_first.value.value, str)
        )
        anchor = node.body[1] if has_doc and len(node.body) > 1 else body_first
        insert_at = (
            (body_first.end_lineno or body_first.lineno) if has_doc and len(node.body) == 1 else anchor.lineno - 1
        )
        indent = _indent(lines[anchor.lineno - 1])
        guards: list[str] = []
        # Right to left within a line, so earlier column offsets stay valid.
        for arg, default in sorted(mutable, key=lambda p: (p[1].lineno, p[1].col_offset), reverse=True):
            row = default.lineno - 1
            text = lines[row]
            value = text[default.col_offset : default.end_col_offset]
            lines[row] = text[: default.col_offset] + "None" + text[default.end_col_offset :]
            guards[:0] = [f"{indent}if {arg.arg} is None:", f"{indent}    {arg.arg} = {value}"]
            applied.append(f"line {default.lineno}: default of '{arg.arg}' {value} → None, created per call")
        lines[insert_at:insert_at] = guards
        source = "\n".join(lines) + "\n"
    return source


def _mutable(node: ast.expr) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"list", "dict", "set"}


def _edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def _closest(name: str, names: set[str] | frozenset[str]) -> list[str]:
    """The names 1–2 edits from `name` that are nearest to it; none for a name of two characters or fewer."""
    if len(name) <= 2:
        return []
    near = [(d, n) for n in names if abs(len(n) - len(name)) <= 2 and 0 < (d := _edit_distance(name, n)) <= 2]
    best = min((d for d, _ in near), default=0)
    return sorted(n for d, n in near if d == best)


def _in_scope(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope's own code, not descending into the scopes nested in it."""
    for child in ast.iter_child_nodes(scope):
        yield child
        if not isinstance(child, _SCOPES):
            yield from _in_scope(child)


def _bindings(scope: ast.AST) -> set[str]:
    """The names a module, function, class or comprehension binds itself (parameters included)."""
    return bound_names(_in_scope(scope))


def _visible_names(tree: ast.Module, uses: set[ast.Name]) -> dict[ast.Name, frozenset[str]]:
    """For each use, the names defined where it is: builtins, the module, enclosing functions, its own class body."""
    module = set(_BUILTIN_NAMES) | _bindings(tree)
    module |= {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    seen: dict[ast.Name, frozenset[str]] = {}

    def walk(node: ast.AST, visible: frozenset[str], inherited: frozenset[str]) -> None:
        # `visible`: names at this point; `inherited`: those a nested function sees (no class body's).
        if isinstance(node, ast.Name) and node in uses:
            seen[node] = visible
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            outer: list[ast.AST] = [node.args]
            if not isinstance(node, ast.Lambda):
                outer += [*node.decorator_list, *([node.returns] if node.returns else [])]
            for child in outer:  # defaults, annotations and decorators are evaluated outside the function
                walk(child, visible, inherited)
            inner = inherited | _bindings(node)
            for child in node.body if isinstance(node.body, list) else [node.body]:
                walk(child, inner, inner)
        elif isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *node.keywords]:
                walk(child, visible, inherited)
            body = visible | _bindings(node)
            for child in node.body:
                walk(child, body, inherited)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            walk(node.generators[0].iter, visible, inherited)  # the first iterable is evaluated outside
            inner = inherited | _bindings(node)
            for child in ast.iter_child_nodes(node):
                for part in ast.iter_child_nodes(child) if child is node.generators[0] else [child]:
                    if part is not node.generators[0].iter:
                        walk(part, inner, inner)
        else:
            for child in ast.iter_child_nodes(node):
                walk(child, visible, inherited)

    walk(tree, frozenset(module), frozenset(module))
    return seen


def _attribute_path(use: ast.Name, parents: dict[ast.AST, ast.AST]) -> list[str] | None:
    """`a.b.c` for a use `a` that is the start of that chain of attributes; None for a bare use."""
    path = [use.id]
    node: ast.AST = use
    while isinstance(parent := parents.get(node), ast.Attribute) and parent.value is node:
        path.append(parent.attr)
        node = parent
    return path if len(path) > 1 else None


def _module_to_import(path: list[str]) -> str | None:
    """The (sub)module of the standard library an `import` of which makes `a.b.c` resolve; None when none does.

    Raises LookupError when the module cannot be looked at here (see `_NOT_INSPECTED`, or not importable).
    """
    name = path[0]
    if name in _NOT_INSPECTED or "__main__" in path:
        raise LookupError(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module: ModuleType = importlib.import_module(name)
            for depth, attr in enumerate(path[1:], 1):
                dotted = ".".join(path[: depth + 1])
                # A submodule a plain `import package` may not load: import it by its dotted path.
                if hasattr(module, "__path__") and importlib.util.find_spec(dotted) is not None:
                    module = importlib.import_module(dotted)
                    continue
                return ".".join(path[:depth]) if hasattr(module, attr) else None
        except Exception as exc:  # any failure to import a module here: it cannot be looked at
            raise LookupError(name) from exc
    return ".".join(path)


def _plan_name_fixes(
    tree: ast.Module, findings: list[Finding]
) -> tuple[dict[str, tuple[int, set[str]]], list[tuple[ast.Name, str]]]:
    """Which undefined names get an import (first line used, modules) and which uses get renamed (to what)."""
    reported = {
        (m.group(1), f.line) for f in findings if f.rule == "undefined-name" for m in [_UNDEFINED.match(f.message)] if m
    }
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    uses: dict[str, list[ast.Name]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (node.id, node.lineno) in reported:
            uses.setdefault(node.id, []).append(node)
    visible = _visible_names(tree, {use for group in uses.values() for use in group})
    # Every name defined anywhere in the module, in scope at a use or not.
    defined = set().union(_bindings(tree), *(_bindings(n) for n in ast.walk(tree) if isinstance(n, _SCOPES)))
    imports: dict[str, tuple[int, set[str]]] = {}
    renames: list[tuple[ast.Name, str]] = []
    for name, group in uses.items():
        group.sort(key=lambda n: (n.lineno, n.col_offset))
        paths = [_attribute_path(use, parents) for use in group]
        if name in sys.stdlib_module_names and all(paths):
            try:
                modules = {_module_to_import(path) for path in paths if path}
            except LookupError:
                # Not looked at, so not known to match: only when no name defined here is a candidate instead.
                if not _closest(name, defined):
                    imports[name] = (group[0].lineno, {name})
                    continue
            else:
                if None not in modules:  # the module has every attribute used: an exact match
                    imports[name] = (group[0].lineno, {m for m in modules if m})
                    continue
        for use in group:
            # The one nearest name, and in scope here: not when an equally near or nearer one is out of scope
            # (another function's local, a class attribute seen from a method), which a rename cannot reach.
            candidates = _closest(name, visible[use] | defined)
            if len(candidates) == 1 and candidates[0] in visible[use]:
                renames.append((use, candidates[0]))
    return imports, renames


def _rename(lines: list[str], renames: list[tuple[ast.Name, str]], applied: list[str]) -> None:
    # Right to left within a line, so earlier column offsets (UTF-8 bytes) stay valid.
    done: set[tuple[int, str, str]] = set()
    for use, new in sorted(renames, key=lambda r: (r[0].lineno, r[0].col_offset), reverse=True):
        raw = lines[use.lineno - 1].encode()
        if raw[use.col_offset : use.end_col_offset] != use.id.encode():
            continue  # the node's position does not show its name (never so far): leave it
        lines[use.lineno - 1] = (raw[: use.col_offset] + new.encode() + raw[use.end_col_offset :]).decode()
        done.add((use.lineno, use.id, new))
    for line, old, new in sorted(done):
        applied.append(f"line {line}: misspelt name '{old}' → '{new}'")


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _add_imports(source: str, imports: dict[str, tuple[int, set[str]]], applied: list[str]) -> str:
    """`import` lines with the module's other top-level imports, or after its docstring and `__future__` imports."""
    tree = ast.parse(source)
    lines = source.splitlines()
    body = tree.body
    lead = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        lead = 1 if isinstance(body[0].value.value, str) else 0
    while lead < len(body) and _is_future(body[lead]):
        lead += 1
    first_use = min(
        (
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in imports
        ),
        default=len(lines) + 1,
    )
    block = [f"import {m}" for m in sorted({m for _, modules in imports.values() for m in modules})]
    existing = next(
        (n for n in body[lead:] if isinstance(n, (ast.Import, ast.ImportFrom)) and not _is_future(n)),
        None,
    )
    if existing is not None and existing.lineno < first_use:
        at = existing.lineno - 1
    else:
        if lead:
            at = body[lead - 1].end_lineno or body[lead - 1].lineno
        else:  # after a `#!` line and an encoding declaration only
            at = 0
            while at < min(2, len(lines)) and re.match(r"#!|#.*coding[:=]", lines[at]):
                at += 1
        if at > 0 and lines[at - 1].strip():
            block.insert(0, "")
        if at < len(lines) and lines[at].strip():
            block.append("")
    lines[at:at] = block
    for name, (line, modules) in sorted(imports.items(), key=lambda item: item[1][0]):
        added = ", ".join(f"`import {m}`" for m in sorted(modules))
        applied.append(f"line {line}: added {added}: '{name}' is a standard-library module used without an import")
    return "\n".join(lines) + "\n"


def apply_fixes(source: str) -> FixResult:
    """Fix what can be fixed mechanically; re-check the result and report what is left."""
    findings = check(source)
    if any(f.rule == "syntax-error" for f in findings):
        return FixResult(source, [], findings)
    applied: list[str] = []
    lines = source.splitlines()
    imports: dict[str, tuple[int, set[str]]] = {}
    if any(f.rule == "undefined-name" for f in findings):
        # Renames keep every line where it is; the imports are added last, once other lines have moved.
        imports, renames = _plan_name_fixes(ast.parse(source), findings)
        if renames:
            _rename(lines, renames, applied)
            findings = check("\n".join(lines) + "\n")
    tree = ast.parse("\n".join(lines) + "\n")
    if any(f.rule == "bare-except" for f in findings):
        _fix_bare_excepts(lines, tree, applied)
    unused = {
        m.group(1).split(".")[0]
        for f in findings
        if f.rule == "unused-import"
        for m in [re.match(r"'([^']+)'", f.message)]
        if m
    }
    if unused:
        # Map module paths to the local names they bind, as the check reported the imported path.
        local = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name.split(".")[0] in unused or alias.name in unused:
                        local.add((alias.asname or alias.name).split(".")[0])
        _fix_unused_imports(lines, tree, local, applied)
    code = "\n".join(lines) + "\n"
    if any(f.rule == "mutable-default" for f in findings):
        code = _fix_mutable_defaults(code, applied)
    if imports:
        code = _add_imports(code, imports, applied)
    if not applied:
        return FixResult(source, [], findings)
    return FixResult(code, applied, check(code))
