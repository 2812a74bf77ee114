"""Batch simulation of many buyers and sellers negotiating, sharded over Ray actors.

Modules: `scenario` (what to simulate), `population` (the parties and who
meets whom), `rounds` (alternating offers over arrays), `learning` (per-party
W2 loops), `shard` (the Ray actor holding parties), `engine` (the driver),
`metrics` and `summary` (what came out), `outputs` (files and plots),
`record` (the database), `run` (one run, start to finish). The command,
`aura simulate`, is `deployments.cli.simulate`.
"""

from typing import TYPE_CHECKING

from aura import lazy_surface

if TYPE_CHECKING:
    from negotiation.simulate.run import execute
    from negotiation.simulate.scenario import Scenario, ScenarioError, load
    from negotiation.simulate.summary import Summary

__all__ = ["Scenario", "ScenarioError", "Summary", "execute", "load"]

__getattr__, __dir__ = lazy_surface(__name__)
