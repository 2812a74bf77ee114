"""Objects named by `package.module:Name` paths, as settings and host specs name them."""

from __future__ import annotations

import importlib
from typing import Any


def load(path: str) -> Any:
    """The object `path` (`package.module:Name`) names; ValueError for a path of another form."""
    module, sep, name = path.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"{path!r} is not 'package.module:Name'")
    return getattr(importlib.import_module(module), name)
