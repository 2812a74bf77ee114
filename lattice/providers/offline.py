"""The offline provider: no network, no model; each role runs the real local analysis it can.

It streams its answer section by section as each is computed, names itself
in the first line, and says plainly what it cannot do (write new code).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from lattice import research
from lattice.analysis.code import python_code
from lattice.analysis.decompose import decompose, render
from lattice.analysis.fixes import FIXABLE, apply_fixes
from lattice.analysis.merge import merge
from lattice.analysis.static import check
from lattice.analysis.tracebacks import parse_tracebacks
from lattice.messages import CellTask
from lattice.prompts import render_run
from lattice.providers.base import Completion, Provider, ProviderRequest
from lattice.sandbox import Run, Workspace

HEADER = "_Provider: offline — local analysis only, no language model._\n\n"
CANNOT_WRITE = (
    "The offline provider cannot write new code: it has no language model. Set ANTHROPIC_API_KEY (or "
    "AURA_LATTICE_PROVIDER=openai with a local model server) to "
    "have the engineer write code. Offline, it makes the mechanical fixes review findings allow "
    "(bare except, unused imports, mutable defaults, missing standard-library imports, misspelt names) in code "
    "you include, and runs the tests of files you send.\n"
)


def _latest_code(task: CellTask) -> str | None:
    if task.subject is not None:
        return python_code(task.subject) or task.subject
    for contribution in reversed(task.contributions):
        if contribution.code:
            return contribution.code
    return python_code(task.prompt)


def _findings_list(findings: list) -> str:
    return "".join(f"- line {f.line} [{f.severity}] {f.rule}: {f.message}\n" for f in findings)


class OfflineProvider(Provider):
    """Local analysis per role; see the module docstring."""

    name = "offline"

    async def stream(self, request: ProviderRequest, completion: Completion) -> AsyncIterator[str]:
        """Yield the role's analysis as Markdown sections."""
        completion.model = "offline"
        yield HEADER
        role, task = request.role, request.task
        if role == "architect":
            for section in render(decompose(task.prompt)):
                yield section
        elif role == "engineer":
            workspace = task.workspace
            sections = (
                self._engineer(task) if workspace is None or not workspace.files else self._revise(task, workspace)
            )
            async for section in sections:
                yield section
        elif role == "reviewer":
            async for section in self._reviewer(task, request):
                yield section
        elif role == "debugger":
            async for section in self._debugger(task, request.run):
                yield section
        elif role == "research":
            async for section in self._research(task):
                yield section
        else:
            for section in merge(task.contributions):
                yield section
        completion.stop_reason = "end_turn"

    async def _engineer(self, task: CellTask) -> AsyncIterator[str]:
        code = _latest_code(task)
        if code is None:
            yield CANNOT_WRITE
            return
        result = apply_fixes(code)
        if result.applied:
            yield "## Fixes applied\n" + "".join(f"- {a}\n" for a in result.applied)
            yield f"## Revised code\n```python\n{result.code.rstrip()}\n```\n"
        else:
            yield "## Fixes applied\nNone: no finding in this code has a mechanical fix.\n"
            yield f"## Code (unchanged)\n```python\n{code.rstrip()}\n```\n"
        if result.remaining:
            unfixable = [f for f in result.remaining if f.rule not in FIXABLE]
            yield (
                "## Not fixed\nThese need a decision a program cannot make offline:\n"
                + _findings_list(unfixable or result.remaining)
            )
        yield CANNOT_WRITE

    async def _revise(self, task: CellTask, workspace: Workspace) -> AsyncIterator[str]:
        """The mechanical fixes of every source file, each changed file written back as a named block."""
        failing = task.review.run if task.review is not None else None
        if failing is not None and failing.tests is not None and failing.tests.first_failure is not None:
            first = failing.tests.first_failure
            yield f"## Failing\n`{first.name}`: {first.message.splitlines()[0] if first.message else 'failed'}\n"
        changed = False
        for path in workspace.sources():
            result = apply_fixes(workspace.files[path])
            if not result.applied:
                continue
            changed = True
            yield f"## Fixes in {path}\n" + "".join(f"- {a}\n" for a in result.applied)
            yield f"```python\n# path: {path}\n{result.code.rstrip()}\n```\n"
        if not changed:
            yield (
                "## No fix made\nNo file has a finding with a mechanical fix. What the tests report needs a "
                "change of logic, which the offline provider cannot make: it has no language model.\n"
            )
        else:
            yield "The reviewer reruns the tests on the revised files; its counts say what these fixes achieved.\n"

    async def _reviewer(self, task: CellTask, request: ProviderRequest) -> AsyncIterator[str]:
        if task.workspace is not None and task.workspace.files:
            if request.run is not None:
                yield "## Tests\n" + render_run(request.run) + "\n"
            elif request.sandbox_problem is not None:
                yield f"## Tests\nNot run: {request.sandbox_problem}.\n"
            for path in task.workspace.sources():
                findings = check(task.workspace.files[path])
                if findings:
                    yield f"## Static findings in {path}\n" + _findings_list(findings)
            return
        code = python_code(task.subject if task.subject is not None else task.prompt)
        if code is None:
            yield "## Review\nThere is no Python code to review in this request, so there is no verdict on code.\n"
            return
        started = time.perf_counter()
        findings = check(code)
        elapsed = (time.perf_counter() - started) * 1000
        if findings:
            yield f"## Static findings ({len(findings)}, ast checks in {elapsed:.1f} ms)\n" + _findings_list(findings)
        else:
            yield (
                "## Static findings\nNone: the code parses and passes every check (syntax, undefined and unused "
                "names, bare except, eval/exec, mutable defaults, hard-coded secrets).\n"
            )
        yield ("Static checks cannot judge whether the code does what was asked; that needs a model or a person.\n")

    async def _debugger(self, task: CellTask, run: Run | None) -> AsyncIterator[str]:
        tracebacks = parse_tracebacks(task.prompt)
        if run is not None:
            yield "## Reproduced in the sandbox\n" + render_run(run) + "\n"
            failure = run.tests.first_failure if run.tests is not None else None
            tracebacks = parse_tracebacks(failure.detail if failure is not None else run.stderr) or tracebacks
        if not tracebacks and run is None:
            yield (
                "## Traceback\nNo Python traceback found in the request. Paste the full traceback (from "
                "`Traceback (most recent call last):` to the exception line) for a frame-by-frame reading.\n"
            )
        for number, parsed in enumerate(tracebacks, 1):
            lines = [f"## Exception {number}: `{parsed.exception}`" + (f": {parsed.message}" if parsed.message else "")]
            if parsed.chained:
                lines.append("Raised while handling: " + "; ".join(f"`{c}`" for c in parsed.chained))
            for frame in parsed.frames:
                mark = " (library)" if frame.in_library else ""
                lines.append(
                    f"- {frame.file}:{frame.line} in `{frame.function}`{mark}"
                    + (f" — `{frame.source}`" if frame.source else "")
                )
            culprit = parsed.culprit
            if culprit is not None:
                lines.append(
                    f"\n**Look at** {culprit.file}:{culprit.line} in `{culprit.function}`"
                    + (f": `{culprit.source}`" if culprit.source else "")
                )
            lines.append(f"\n**Likely cause:** {parsed.likely_cause()}\n")
            yield "\n".join(lines)
        code = python_code(task.prompt)
        if code is not None:
            errors = [f for f in check(code) if f.severity == "error"]
            if errors:
                yield "## Errors in the code shown\n" + _findings_list(errors)

    async def _research(self, task: CellTask) -> AsyncIterator[str]:
        from aura.store import configured_pool

        db = await configured_pool()
        documents = await research.ensure_index(db)
        hits = [h for h in await research.search(db, task.prompt, limit=6) if h.similarity > 0.05]
        if not hits:
            yield (
                f"## Retrieval\nNothing in the {documents} indexed docstrings shares words with the request. "
                f"The index covers: {', '.join(research.MODULES)}.\n"
            )
            return
        yield (
            f"## Docstrings matching the request\nRetrieved from {documents} docstrings of installed modules "
            f"by shared vocabulary (hashed term vectors in pgvector, cosine similarity):\n"
        )
        for hit in hits:
            yield f"- `{hit.qualname}` ({hit.similarity:.2f}): {hit.summary}\n"
        yield "Retrieval only quotes documentation; it does not reason about which option fits best.\n"
