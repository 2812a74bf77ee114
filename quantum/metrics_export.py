"""The quantum pool's application metrics: backend jobs, circuits per job, queue depth, rejections.

(`quantum.metrics` is the maths: Φ, Γ, Λ and W₂ of a circuit.)
"""

from __future__ import annotations

from aura import counter, gauge, histogram

JOBS = counter("aura_quantum_jobs_total", "Backend jobs the pool ran, by backend and outcome.", ("backend", "status"))
CIRCUITS_PER_JOB = histogram(
    "aura_quantum_circuits_per_job",
    "Circuits batched into one backend job.",
    ("backend",),
    boundaries=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
QUEUE_DEPTH = gauge("aura_quantum_queue_depth", "Circuits waiting in a pool worker's queues.", ("worker",))
REJECTED = counter("aura_quantum_rejected_total", "Circuits refused because a worker's queue was full.")
