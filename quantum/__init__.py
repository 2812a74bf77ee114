"""Quantum circuits measured by defined statistics (Φ, Γ, Λ, W₂), run in batches by a Ray actor pool.

- `quantum.circuits`: Bell, GHZ(n), the lattice circuit, OpenQASM 2 parsing, within `quantum.limits`.
- `quantum.qasm_scan`: what an OpenQASM 2 program includes, declares and expands to, before it is parsed.
- `quantum.building`: circuit builds on threads of their own, within a time budget.
- `quantum.ibm_access`: who may run on IBM Quantum, and their daily quota.
- `quantum.metrics`: the metric definitions of docs/definitions.md.
- `quantum.backends`: ``aer``, ``aer:<fake device>``, ``ibm:<backend>``.
- `quantum.pool`: workers ``aura:quantum:<i>`` and `run_metrics`, the client call.

Nothing here imports FastAPI or Ray Serve; `deployments.quantum` serves it.
"""
