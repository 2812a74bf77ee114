"""Aura's application metrics, recorded through Ray's metrics API (`ray.util.metrics`).

Ray exports what every process records on its node's Prometheus endpoint
(the raylet's metrics export port), which is what the dashboard's Metrics
tab and Grafana read once Prometheus scrapes it (docs/operations.md). Each
package declares the metrics it records next to the code that records
them, as module constants made with `counter`, `histogram` and `gauge`;
names start with `aura_`, and tags are low-cardinality by rule: a route
template, a role, a status — never an id, a DID or anything a caller chose.

Recording a value costs a few microseconds; with `AURA_METRICS=false` it is
one cached check. A process not connected to Ray (a CLI command, a unit
test, a driver before `ray.init`) records nothing: Ray would take the values
and drop them (they are not exported once the process connects later), so
recording there is skipped after the same cheap check.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from aura.settings import get_settings

#: Latency boundaries in seconds, from a fast in-memory answer to a slow LLM call.
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def recording() -> bool:
    """Whether a value recorded now reaches Ray's exporter: metrics are on and this process is connected to Ray."""
    # A process that never imported Ray is not connected; looking it up keeps `import aura` from importing Ray.
    ray = sys.modules.get("ray")
    return get_settings().metrics and ray is not None and ray.is_initialized()


class _Metric:
    """One metric, made in Ray on first use (so importing a module that declares one costs nothing)."""

    def __init__(self, kind: str, name: str, description: str, tags: Sequence[str], **options: Any) -> None:
        self._kind, self._name, self._description, self._tags, self._options = kind, name, description, tags, options
        self._made: Any = None

    def _ray(self) -> Any:
        if self._made is None:
            from ray.util import metrics

            self._made = getattr(metrics, self._kind)(
                self._name, description=self._description, tag_keys=tuple(self._tags), **self._options
            )
        return self._made


class Counter(_Metric):
    """A count that only grows (Prometheus `_total`)."""

    def inc(self, by: float = 1.0, **tags: str) -> None:
        """Add `by` for these tag values."""
        if by and recording():
            self._ray().inc(by, tags=tags)


class Histogram(_Metric):
    """A distribution of observed values (latencies, sizes) over fixed boundaries."""

    def observe(self, value: float, **tags: str) -> None:
        """Count `value` in its bucket for these tag values."""
        if recording():
            self._ray().observe(value, tags=tags)


class Gauge(_Metric):
    """A value that goes up and down (a queue's depth, a lag)."""

    def set(self, value: float, **tags: str) -> None:
        """The current value for these tag values."""
        if recording():
            self._ray().set(value, tags=tags)


def counter(name: str, description: str, tags: Sequence[str] = ()) -> Counter:
    """A counter; by convention its name ends in `_total`."""
    return Counter("Counter", name, description, tags)


def histogram(
    name: str, description: str, tags: Sequence[str] = (), boundaries: Sequence[float] = SECONDS
) -> Histogram:
    """A histogram over `boundaries` (seconds by default)."""
    return Histogram("Histogram", name, description, tags, boundaries=list(boundaries))


def gauge(name: str, description: str, tags: Sequence[str] = ()) -> Gauge:
    """A gauge."""
    return Gauge("Gauge", name, description, tags)
