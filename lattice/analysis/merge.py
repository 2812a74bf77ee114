"""The synthesizer's merge of the other cells' outputs under the stated conflict rule."""

from __future__ import annotations

from lattice.messages import Contribution
from lattice.prompts import CONFLICT_RULE


def _excerpt(text: str, limit: int = 600) -> str:
    body = text.strip()
    return body if len(body) <= limit else body[:limit].rsplit("\n", 1)[0] + "\n…"


def merge(contributions: tuple[Contribution, ...] | list[Contribution]) -> list[str]:
    """Markdown sections: the rule, the outcome of review, the final code, then each cell's latest output.

    Applies the rule mechanically: only each role's latest iteration is kept;
    the final code is the newest engineer code, labelled by the verdict of the
    newest review that came after it (unreviewed if none did).
    """
    sections = [f"## How this answer was merged\n{CONFLICT_RULE}\n"]
    if not contributions:
        return sections + ["No other cell produced output in this request, so there is nothing to merge.\n"]
    order = list(contributions)
    latest = {c.role: c for c in order}  # later entries overwrite earlier ones: newest iteration wins
    code_index = max((i for i, c in enumerate(order) if c.code), default=None)
    review_after = None
    if code_index is not None:
        review_after = next((c for c in reversed(order[code_index + 1 :]) if c.verdict is not None), None)
    elif any(c.verdict is not None for c in order):
        review_after = next(c for c in reversed(order) if c.verdict is not None)
    if review_after is not None and review_after.verdict is not None:
        verdict = review_after.verdict
        lines = [
            f"## Review outcome\nThe latest review (iteration {review_after.iteration}) says **{verdict.decision}**."
        ]
        if verdict.findings:
            lines.append(" Open findings (checked by static analysis):")
            lines.extend(f"\n- line {f.line}: {f.rule}: {f.message}" for f in verdict.findings)
        sections.append("".join(lines) + "\n")
    if code_index is not None:
        final = order[code_index]
        label = "reviewed" if review_after is not None else "not reviewed after its last change"
        sections.append(
            f"## Final code ({final.role}, iteration {final.iteration}, {label})\n"
            f"```python\n{(final.code or '').rstrip()}\n```\n"
        )
    for role, contribution in latest.items():
        sections.append(f"## From the {role} (iteration {contribution.iteration})\n{_excerpt(contribution.text)}\n")
    return sections
