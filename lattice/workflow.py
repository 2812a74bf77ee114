"""Choosing a workflow from the prompt by word-boundary keyword rules, and ordering its roles into stages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lattice.messages import ANALYSTS, ROLES, Role

# First matching rule wins; a word counts only as a whole word ("prefix" does not match "fix").
RULES: tuple[tuple[str, re.Pattern[str], tuple[Role, ...]], ...] = (
    ("debug", re.compile(r"\b(error|bug|debug|fix|broken|failing)\b", re.I), ("debugger", "engineer", "reviewer")),
    ("review", re.compile(r"\b(review|check|audit|improve)\b", re.I), ("reviewer", "engineer")),
    ("research", re.compile(r"\b(how to|what is|explain|research|find)\b", re.I), ("research", "architect")),
)
DEFAULT: tuple[Role, ...] = ("architect", "engineer", "reviewer")


@dataclass(frozen=True)
class Workflow:
    """A named sequence of roles; the synthesizer always closes it."""

    name: str
    roles: tuple[Role, ...]

    def stages(self) -> list[tuple[Role, ...]]:
        """The roles before the synthesizer grouped into stages; consecutive analysts share a stage (run in parallel).

        Analysts (architect, research, debugger) only read the request, so they
        do not depend on each other; the engineer builds on what precedes it and
        the reviewer on the newest code, so each of those is a stage of its own.
        """
        stages: list[tuple[Role, ...]] = []
        for role in self.roles:
            if role == "synthesizer":
                continue
            if role in ANALYSTS and stages and all(r in ANALYSTS for r in stages[-1]):
                stages[-1] = (*stages[-1], role)
            else:
                stages.append((role,))
        return stages


def select(prompt: str, agents_enabled: list[Role] | None = None) -> Workflow:
    """The workflow for `prompt`: the explicit agent list if given, else the first keyword rule that matches."""
    if agents_enabled:
        unknown = [a for a in agents_enabled if a not in ROLES]
        if unknown:
            raise ValueError(f"unknown agents: {unknown}")
        ordered = tuple(dict.fromkeys(a for a in agents_enabled if a != "synthesizer"))
        return Workflow("custom", (*ordered, "synthesizer"))
    for name, pattern, roles in RULES:
        if pattern.search(prompt):
            return Workflow(name, (*roles, "synthesizer"))
    return Workflow("default", (*DEFAULT, "synthesizer"))
