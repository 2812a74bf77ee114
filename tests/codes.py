"""Every error code the product's source can raise, found by reading it (for the tests that pin the status table)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("aura", "actors", "quantum", "lattice", "negotiation", "deployments")


def _trees() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(), str(path)) for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _bases(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    return bases


def exception_classes() -> dict[str, bool]:
    """Every exception class the product defines, and whether it derives from `AuraError`."""
    bases = _bases(_trees())
    rooted = _error_classes(bases)
    import builtins

    builtin = set(dir(builtins))
    exceptions = {"Exception", "BaseException"} | {n for n in builtin if n.endswith(("Error", "Exception"))}
    found: set[str] = set()
    while True:
        more = {name for name, parents in bases.items() if parents & (exceptions | found)} - found
        if not more:
            break
        found |= more
    return {name: name in rooted for name in found}


def _error_classes(bases: dict[str, set[str]]) -> set[str]:
    """Names of the classes that derive, directly or not, from `AuraError`."""
    found = {"AuraError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def raised_codes() -> dict[str, list[str]]:
    """Each code given to an `AuraError` (as a class's `default_code` or a constructor's first argument), and where."""
    trees = _trees()
    classes = _error_classes(_bases(trees))
    codes: dict[str, list[str]] = {}
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and any(getattr(t, "id", "") == "default_code" for t in item.targets)
                        and isinstance(item.value, ast.Constant)
                    ):
                        codes.setdefault(item.value.value, []).append(where)
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if (
                    name in classes
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    codes.setdefault(node.args[0].value, []).append(where)
    return codes
