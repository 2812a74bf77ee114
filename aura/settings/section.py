"""What every section of the settings tree shares."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A part of the settings tree; `env_prefix` goes between `AURA_` and a field's name in its variable."""

    model_config = ConfigDict(extra="forbid")

    env_prefix: ClassVar[str] = ""


def conventional(*names: str) -> dict[str, Any]:
    """`Field` arguments naming the other variables a field answers to (a provider's usual one, say)."""
    return {"json_schema_extra": {"env_aliases": list(names)}}
