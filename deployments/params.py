"""Query parameter types whose validation is what their documented schema says."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    # Pydantic also reads a number as seconds since 1970; the schema says an ISO 8601 date-time, so only that.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z")
    return value


#: A date-time given as ISO 8601 text, as the OpenAPI document's `format: date-time` promises.
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_only)]

#: The largest id PostgreSQL's bigint holds: a larger one names nothing, and is refused as invalid.
MAX_ID = 2**63 - 1
