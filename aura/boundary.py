"""Field types for request bodies that take exactly what their JSON Schema types allow.

Pydantic's lax mode reads `true` as 1 and `"5"` as 5, which the OpenAPI
document does not promise; its strict mode refuses `5.0` for an integer,
which JSON Schema counts as one. These types sit between: a number is a
JSON number (an integer may be written `5.0`), a boolean is `true`/`false`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool


def _number(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError("a JSON number")
    return value


#: Refuses what is not a JSON number. Bounds of an optional field go before it in its `Annotated`
#: (`Annotated[float, Field(ge=0), JSON_NUMBER] | None`): after it, pydantic writes them as non-schema keys.
JSON_NUMBER = BeforeValidator(_number)
#: An integer, as JSON Schema's `integer` (5 or 5.0, not true or "5").
Integer = Annotated[int, JSON_NUMBER]
#: A number, as JSON Schema's `number` (not true or "0.5").
Number = Annotated[float, JSON_NUMBER]
#: A boolean, as JSON Schema's `boolean` (not 1 or "true").
Boolean = StrictBool
