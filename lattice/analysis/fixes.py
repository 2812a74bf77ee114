"""Mechanical fixes the offline engineer can make for reviewer findings, by editing source lines.

Only rewrites whose correctness does not depend on intent are made: a bare
`except:` becomes `except Exception:`, unused imports go, and a mutable
default becomes `None` with the same value created per call. Everything else
(undefined names, eval, secrets, syntax errors) needs a decision a program
cannot make, so it is reported as not fixed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from lattice.analysis.static import Finding, check

FIXABLE = {"bare-except", "unused-import", "mutable-default"}


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


def apply_fixes(source: str) -> FixResult:
    """Fix what can be fixed mechanically; re-check the result and report what is left."""
    findings = check(source)
    if any(f.rule == "syntax-error" for f in findings):
        return FixResult(source, [], findings)
    applied: list[str] = []
    lines = source.splitlines()
    tree = ast.parse(source)
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
    return FixResult(code, applied, check(code))
