"""What each role is told: its system prompt, and a step's task rendered as one user message."""

from __future__ import annotations

import json

from lattice.messages import CellTask, Role
from lattice.sandbox import Run, Workspace

#: How much of one file, and of a run's output, a prompt quotes.
_FILE_CHARS = 20_000
_WORKSPACE_CHARS = 120_000
_OUTPUT_CHARS = 3000

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
    "blocks. When given a review, revise the code to resolve every finding and say what you changed. When the "
    "request comes with files, write each file you change in full, in one fenced block whose first line is "
    "`# path: <its relative path>`; failing tests are the facts to fix, and the tests themselves stay as given. "
    "When you write new code, name its files the same way and include pytest tests (test_*.py): the reviewer "
    "runs them in a sandbox.",
    "reviewer": "You are the reviewer cell of a coding team. Review the code you are given for correctness, "
    "security and maintainability. List concrete findings with line numbers. End with exactly one line "
    'of the form VERDICT: {"verdict": "approve" | "needs_changes" | "not_applicable"} '
    "(not_applicable when there is no code to review). A test run, when given, is the ground truth: "
    "failing tests mean needs_changes.",
    "debugger": "You are the debugger cell of a coding team. From the error report and any traceback, identify "
    "the exception, the frame where it arises in the user's code, the likely root cause and the fix.",
    "research": "You are the research cell of a coding team. Explain the relevant APIs, libraries and concepts "
    "precisely, naming modules and functions, and say when you are unsure.",
    "synthesizer": "You are the synthesizer cell of a coding team. Merge the other cells' outputs into one final "
    "answer for the user: the final code if any, what was checked and what remains open. " + CONFLICT_RULE,
}


def render_task(role: Role, task: CellTask, run: Run | None = None, sandbox_problem: str | None = None) -> str:
    """The step as one user message: the request, the files, the other cells' outputs, what to review or revise,
    and the sandboxed run the cell made."""
    parts = [f"Request:\n{task.prompt}"]
    if task.workspace is not None and task.workspace.files:
        parts.append(render_workspace(task.workspace))
    for contribution in task.contributions:
        header = f"{contribution.role} (iteration {contribution.iteration})"
        if contribution.verdict is not None:
            header += f", verdict {contribution.verdict.decision}"
        parts.append(f"Output of the {header}:\n{contribution.text}")
    if task.subject is not None:
        what = "Code to revise" if role == "engineer" else "Text under review"
        parts.append(f"{what}:\n{task.subject}")
    if task.review is not None:
        review = task.review.as_dict()
        review.pop("run")
        parts.append("Review to address (static findings are checked facts):\n" + json.dumps(review, indent=1))
        if task.review.run is not None:
            parts.append(render_run(task.review.run))
    if run is not None:
        parts.append(render_run(run))
    elif sandbox_problem is not None:
        parts.append(f"The code could not be run: {sandbox_problem}.")
    return "\n\n".join(parts)


def render_workspace(workspace: Workspace) -> str:
    """The workspace's files, each under its path, within a budget; a cut or left-out file says so.

    A file shown only in part must say it, or a model rewriting it whole would write back the part.
    """
    parts, left_out, budget = ["Files in the workspace:"], [], _WORKSPACE_CHARS
    for path, content in sorted(workspace.files.items()):
        shown = content[: min(_FILE_CHARS, budget)]
        if not shown and content:
            left_out.append(path)
            continue
        note = "" if len(shown) == len(content) else f" (first {len(shown)} of {len(content)} characters)"
        parts.append(f"### {path}{note}\n```\n{shown}\n```")
        budget -= len(shown)
    if left_out:
        parts.append("Not shown (over the prompt's budget): " + ", ".join(left_out))
    return "\n".join(parts)


def render_run(run: Run) -> str:
    """A sandboxed run as facts: command, exit, limit, test counts, the first failure and the output's tail."""
    line = f"Sandboxed run of `{run.command}`: exit {run.exit_code} after {run.duration_ms:.0f} ms"
    if run.limit is not None:
        line += f", stopped by the {run.limit.replace('_', ' ')} limit"
    parts = [line + "."]
    tests = run.tests
    if tests is not None:
        parts.append(f"Tests: {tests.passed} passed, {tests.failed} failed, {tests.errors} errors of {tests.total}.")
        failure = tests.first_failure
        if failure is not None:
            parts.append(f"First failure, {failure.name}: {failure.message}\n{failure.detail[-_OUTPUT_CHARS:]}")
    else:
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            if text.strip():
                parts.append(f"{name} (tail):\n{text[-_OUTPUT_CHARS:]}")
    return "\n".join(parts)
