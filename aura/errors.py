"""The root of every error Aura raises on purpose: a machine-readable `code` and a `detail` safe to show.

An error knows what went wrong, not how HTTP says it: `deployments.errors`
holds the one table from codes to statuses. `headers` are what an answer to
the failed request carries besides its body (`Retry-After` when trying
again helps, an agent's `X-RateLimit-*`). Errors pickle with all three, so
one raised in a Ray actor reaches its caller whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

#: Most characters of a caller's input an error detail may quote.
EXCERPT_CHARS = 40


class AuraError(Exception):
    """An error with a machine-readable `code`, a `detail` safe to show the caller, and headers for the answer."""

    #: The code of instances that are not given one.
    default_code: ClassVar[str] = "error"

    def __init__(self, code: str | None = None, detail: Any = None, headers: Mapping[str, str] | None = None) -> None:
        self.code = code or self.default_code
        self.detail = detail
        self.headers = dict(headers) if headers else None
        super().__init__(self.code, detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.code, self.detail, self.headers, self.__dict__)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail is not None else self.code


def _rebuild(
    cls: type[AuraError], code: str, detail: Any, headers: dict[str, str] | None, state: dict[str, Any]
) -> AuraError:
    """An unpickled error: built without its constructor (subclasses have their own), then given its state."""
    error = cls.__new__(cls)
    Exception.__init__(error, code, detail)
    error.__dict__.update(state)
    error.code, error.detail, error.headers = code, detail, headers
    return error


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A caller's input as an error detail may quote it: printable ASCII only (others become '?'), ≤ `limit` chars."""
    shown = "".join(c if " " <= c <= "~" else "?" for c in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
