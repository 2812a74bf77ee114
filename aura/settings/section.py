"""What every section of the settings tree shares."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A part of the settings tree; `env_prefix` goes between `AURA_` and a field's name in its variable."""

    model_config = ConfigDict(extra="forbid")

    env_prefix: ClassVar[str] = ""


def conventional(*names: str) -> dict[str, Any]:
    """A field's `json_schema_extra` naming the other variables it answers to (a provider's usual one, say)."""
    return {"env_aliases": list(names)}
