"""The lattice's API: its HTTP routes and its session WebSocket, over one `LatticeService` per replica."""

from deployments.lattice.routes import router
from deployments.lattice.service import lattice_service

__all__ = ["lattice_service", "router"]
