"""Quality scores of cell steps from signals that can be checked, never from words in the text."""

from __future__ import annotations

from dataclasses import dataclass

from lattice.analysis.code import parse_ratio
from lattice.providers.base import Completion
from lattice.verdict import Verdict

#: A truncated answer is incomplete but not wrong; it still tells the W2 loop to allow more tokens.
TRUNCATED = 0.5


@dataclass(frozen=True)
class Score:
    """A score in [0, 1] and the signals it came from."""

    value: float
    signals: dict


def step_score(response: str, completion: Completion, failed: bool) -> Score:
    """Score one step: 0 on a provider error or refusal; else the share of its Python blocks that parse,
    halved when the answer was cut off at the token limit."""
    parsed, blocks = parse_ratio(response)
    signals = {
        "provider_error": failed,
        "refused": completion.refused,
        "stop_reason": completion.stop_reason,
        "code_blocks": blocks,
        "code_blocks_parsed": parsed,
    }
    if failed or completion.refused:
        return Score(0.0, signals)
    value = parsed / blocks if blocks else 1.0
    if completion.stop_reason == "max_tokens":
        value *= TRUNCATED
    return Score(round(value, 4), signals)


def review_score(verdict: Verdict) -> float | None:
    """The score a reviewed step earns: the share of its tests that passed when they ran (0 when the code
    did not run, or a limit stopped it); else 1 if approved, less per open finding; None if nothing was judged."""
    run = verdict.run
    if run is not None:
        if run.limit is not None:
            return 0.0
        if run.tests is not None and run.tests.total:
            return round(run.tests.share_passed(), 4)
        return 1.0 if run.ok else 0.0
    if verdict.decision == "approve":
        return 1.0
    if verdict.decision == "not_applicable":
        return None
    penalty = 0.25 * verdict.errors + 0.1 * verdict.warnings
    return round(max(0.0, 0.9 - penalty), 4)
