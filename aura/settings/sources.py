"""Where settings come from: environment variables and a `.env` file, by each field's own variable names.

Every field of the tree has one variable, `AURA_` + its section's prefix +
its name in capitals (`AURA_MAX_ROUNDS`, `AURA_QUANTUM_MAX_QUBITS`), and some
also answer to a provider's conventional name (`MISTRAL_API_KEY`). The
environment wins over the file, and either over the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

PREFIX = "AURA_"
DOTENV = Path(".env")

Origin = Literal["environment", "file", "default"]


@dataclass(frozen=True, slots=True)
class Variable:
    """One field of the tree: where it sits (`section`, `name`) and the variables it is read from, first first."""

    section: str | None
    name: str
    names: tuple[str, ...]
    field: FieldInfo


def variable_names(section_prefix: str, name: str, field: FieldInfo) -> tuple[str, ...]:
    """A field's variables: `AURA_<prefix><NAME>`, then the conventional names it also answers to."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    aliases = tuple(str(alias) for alias in extra.get("env_aliases", ()))  # type: ignore[union-attr]
    return (f"{PREFIX}{section_prefix}{name}".upper(), *aliases)


def variables(tree: type[BaseSettings]) -> Iterator[Variable]:
    """Every field of the settings tree, the root's first, then each section's."""
    for name, field in tree.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            prefix = str(getattr(annotation, "env_prefix", ""))
            for inner, inner_field in annotation.model_fields.items():
                yield Variable(name, inner, variable_names(prefix, inner, inner_field), inner_field)
        else:
            yield Variable(None, name, variable_names("", name, field), field)


def dotenv() -> dict[str, str]:
    """The `.env` file of the working directory, if there is one."""
    if not DOTENV.is_file():
        return {}
    return {key: value for key, value in dotenv_values(DOTENV).items() if value is not None}


def lookup(variable: Variable, environment: dict[str, str], file: dict[str, str]) -> tuple[str | None, Origin]:
    """A field's raw value and where it came from (None and `default` when nothing sets it)."""
    for source, origin in ((environment, "environment"), (file, "file")):
        for name in variable.names:
            if name in source:
                return source[name], origin  # type: ignore[return-value]
    return None, "default"


class FlatVariables(PydanticBaseSettingsSource):
    """The settings source of the tree: each field from its variables, in the environment or `.env`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads the whole tree at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        environment, file = dict(os.environ), dotenv()
        found: dict[str, Any] = {}
        for variable in variables(self.settings_cls):
            raw, origin = lookup(variable, environment, file)
            if origin == "default":
                continue
            if variable.section is None:
                found[variable.name] = raw
            else:
                found.setdefault(variable.section, {})[variable.name] = raw
        return found
