"""Quantum circuits measured by defined statistics (Φ, Γ, Λ, W₂), run in batches by a Ray actor pool.

- `quantum.circuits`: Bell, GHZ(n), the lattice circuit, OpenQASM 2 parsing.
- `quantum.metrics`: the metric definitions of DESIGN.md.
- `quantum.backends`: ``aer``, ``aer:<fake device>``, ``ibm:<backend>``.
- `quantum.pool`: workers ``aura:quantum:<i>`` and `run_metrics`, the client call.

Nothing here imports FastAPI or Ray Serve; `deployments.quantum` serves it.
"""
