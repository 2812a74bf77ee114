"""AutoPilot: the lattice stepped over a workspace until its tests pass, with each step stored and billed once."""

from __future__ import annotations

from lattice.autopilot.pilot import Autopilot, AutopilotNeedsTests
from lattice.autopilot.runs import (
    AutopilotNotFound,
    AutopilotRun,
    AutopilotRunning,
    AutopilotStore,
    Order,
    Status,
    Step,
)

__all__ = [
    "Autopilot",
    "AutopilotNeedsTests",
    "AutopilotNotFound",
    "AutopilotRun",
    "AutopilotRunning",
    "AutopilotStore",
    "Order",
    "Status",
    "Step",
]
