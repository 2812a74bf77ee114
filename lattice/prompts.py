"""What each role is told: its system prompt, and a step's task rendered as one user message."""

from __future__ import annotations

import json

from lattice.messages import CellTask, Role

CONFLICT_RULE = (
    "Conflict rule: checkable evidence outranks opinion. The reviewer's verdict on the latest code "
    "overrides the engineer's claims about it; static-analysis findings and parsed tracebacks outrank "
    "statements nobody checked; a later iteration supersedes an earlier one; where two cells disagree "
    "and neither claim is checkable, both are reported side by side."
)

SYSTEM: dict[Role, str] = {
    "architect": "You are the architect cell of a coding team. Decompose the request into goal, requirements, "
    "components with responsibilities, interfaces, an order of work and open questions. Do not write "
    "implementation code.",
    "engineer": "You are the engineer cell of a coding team. Write complete, runnable Python in fenced ```python "
    "blocks. When given a review, revise the code to resolve every finding and say what you changed.",
    "reviewer": "You are the reviewer cell of a coding team. Review the code you are given for correctness, "
    "security and maintainability. List concrete findings with line numbers. End with exactly one line "
    'of the form VERDICT: {"verdict": "approve" | "needs_changes" | "not_applicable"} '
    "(not_applicable when there is no code to review).",
    "debugger": "You are the debugger cell of a coding team. From the error report and any traceback, identify "
    "the exception, the frame where it arises in the user's code, the likely root cause and the fix.",
    "research": "You are the research cell of a coding team. Explain the relevant APIs, libraries and concepts "
    "precisely, naming modules and functions, and say when you are unsure.",
    "synthesizer": "You are the synthesizer cell of a coding team. Merge the other cells' outputs into one final "
    "answer for the user: the final code if any, what was checked and what remains open. " + CONFLICT_RULE,
}


def render_task(role: Role, task: CellTask) -> str:
    """The step as one user message: the request, the other cells' outputs, and what to review or revise."""
    parts = [f"Request:\n{task.prompt}"]
    for contribution in task.contributions:
        header = f"{contribution.role} (iteration {contribution.iteration})"
        if contribution.verdict is not None:
            header += f", verdict {contribution.verdict.decision}"
        parts.append(f"Output of the {header}:\n{contribution.text}")
    if task.subject is not None:
        what = "Code to revise" if role == "engineer" else "Text under review"
        parts.append(f"{what}:\n{task.subject}")
    if task.review is not None:
        parts.append(
            "Review to address (static findings are checked facts):\n" + json.dumps(task.review.as_dict(), indent=1)
        )
    return "\n\n".join(parts)
