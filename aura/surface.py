"""Package surfaces that load on first use, so importing a package costs only what is used.

A package names its public surface in an `if TYPE_CHECKING:` block of its
`__init__.py` (`from package.module import Name`), which type checkers and
readers see as ordinary imports, and in `__all__`. At run time nothing in the
block runs: `lazy_surface` reads it to learn where each name lives and imports
that module the first time the name is used. A Ray worker that hosts sellers
thus never loads the lattice's modules, and `aura --help` never loads Ray.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path


def origins(init_file: str | Path) -> dict[str, str]:
    """Each public name of the package whose `__init__.py` is `init_file`, and the module it comes from."""
    found: dict[str, str] = {}
    for node in ast.parse(Path(init_file).read_text()).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    found[alias.asname or alias.name] = statement.module
    return found


def lazy_surface(package: str) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names load from their modules on first use."""
    namespace = sys.modules[package]
    where = origins(str(namespace.__file__))

    def __getattr__(name: str) -> object:
        origin = where.get(name)
        if origin is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # `from package import submodule` names a module of the package itself.
        if origin == package:
            value: object = importlib.import_module(f"{package}.{name}")
        else:
            value = getattr(importlib.import_module(origin), name)
        setattr(namespace, name, value)  # later uses find it directly
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(namespace), *where})

    return __getattr__, __dir__
