"""Where a running `aura up` answers, as it records it for the commands that look for it.

Kept apart from `deployments.runtime`, which loads Ray Serve: `aura status`
and `aura simulate` read this before (or without) loading Ray.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Endpoints:
    """Where a running Aura answers; written to `{data_dir}/up.json` for `aura status`."""

    pid: int
    api: str
    docs: str
    dashboard: str | None
    embedded_database: bool
    ray_address: str

    def save(self, data_dir: Path) -> None:
        """Record these endpoints for `aura status`."""
        (data_dir / "up.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, data_dir: Path) -> Endpoints | None:
        """The endpoints recorded by the last `aura up`, if any."""
        path = data_dir / "up.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None

    @classmethod
    def running(cls, data_dir: Path) -> Endpoints | None:
        """The endpoints of the `aura up` running with `data_dir`; None when none runs (or it was killed)."""
        endpoints = cls.load(data_dir)
        return endpoints if endpoints is not None and psutil.pid_exists(endpoints.pid) else None
