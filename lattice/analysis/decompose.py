"""Structured decomposition of a request: goal, requirements, constraints, components, steps, open questions.

Rules over the request's own words: requirement sentences are the ones with
a modal ("must", "should", "needs to"...), constraints are the quantities
with units, components come from a fixed vocabulary of system parts, and a
question is asked for every dimension the request leaves unstated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_MODAL = re.compile(r"\b(must|should|shall|needs? to|has to|have to|required?|requires|want|wants|need)\b", re.I)
_QUANTITY = re.compile(
    r"\b\d[\d,.]*\s*(ms|s|sec|seconds?|minutes?|hours?|days?|%|percent|users?|requests?|rps|qps|"
    r"mb|gb|tb|kb|items?|rows?|records?|connections?|nodes?|replicas?)\b",
    re.I,
)

# (component, words that signal it, what it is responsible for)
_COMPONENTS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "HTTP API",
        ("api", "rest", "endpoint", "http", "fastapi", "flask", "route"),
        "request/response contract, validation, status codes",
    ),
    (
        "WebSocket channel",
        ("websocket", "realtime", "real-time", "stream", "streaming", "push"),
        "connection lifecycle, message framing, backpressure",
    ),
    (
        "persistence",
        ("database", "db", "postgres", "sql", "store", "persist", "table", "sqlite", "storage"),
        "schema, migrations, transactions",
    ),
    ("cache", ("cache", "redis", "memoize"), "what is cached, invalidation, expiry"),
    (
        "background jobs",
        ("queue", "worker", "job", "background", "schedule", "cron", "batch"),
        "retries, idempotency, scheduling",
    ),
    (
        "authentication",
        ("auth", "login", "token", "jwt", "oauth", "password", "permission"),
        "identity, sessions or tokens, authorization rules",
    ),
    ("user interface", ("ui", "frontend", "page", "form", "dashboard", "react", "html"), "views, state, accessibility"),
    ("command line", ("cli", "command", "terminal", "argparse", "typer"), "commands, flags, exit codes"),
    (
        "external integration",
        ("webhook", "third-party", "integrate", "integration", "stripe", "slack", "email"),
        "client, timeouts, retries, failure modes",
    ),
    (
        "data processing",
        ("parse", "csv", "json", "transform", "etl", "pipeline", "report", "analy"),
        "input formats, validation, output shape",
    ),
    ("tests", ("test", "tests", "testing", "pytest", "coverage"), "unit and integration tests of each part"),
]

_QUESTIONS: list[tuple[tuple[str, ...], str]] = [
    (("python", "javascript", "typescript", "go", "rust", "java"), "Which language and runtime should it use?"),
    (
        ("user", "users", "request", "requests", "scale", "load", "concurrent"),
        "What load must it handle (users, requests per second, data size)?",
    ),
    (("database", "db", "store", "persist", "memory", "file"), "Where does state live, and must it survive restarts?"),
    (("auth", "token", "login", "public", "private"), "Who may use it, and how are they authenticated?"),
    (("error", "fail", "retry", "timeout"), "How should failures be reported and retried?"),
]


@dataclass
class Decomposition:
    """The parts of a request an architect lays out before anyone writes code."""

    goal: str
    requirements: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z0-9+-]*", text.lower()))


def decompose(request: str) -> Decomposition:
    """Lay out `request` as goal, requirements, constraints, components, ordered steps and open questions."""
    sentences = [s.strip() for s in _SENTENCE.split(request) if s.strip() and not s.strip().startswith("```")]
    prose = re.sub(r"```.*?```", " ", request, flags=re.DOTALL)
    goal = sentences[0] if sentences else request.strip()
    words = _words(prose)
    result = Decomposition(goal=goal[:300])
    result.requirements = [s for s in sentences[1:] + sentences[:1] if _MODAL.search(s)][:10]
    result.constraints = sorted({m.group(0) for m in _QUANTITY.finditer(prose)})
    for name, signals, duty in _COMPONENTS:
        if any(w in words or (len(w) > 4 and any(x.startswith(w) for x in words)) for w in signals):
            result.components.append((name, duty))
    if not result.components:
        result.components.append(("core module", "the domain logic the request describes, as plain functions"))
    names = [c for c, _ in result.components]
    if "tests" not in names:
        result.components.append(("tests", "unit and integration tests of each part"))
        names.append("tests")
    # Data first, then logic, then the interfaces that expose it, then tests that pin it down.
    order = {
        "persistence": 0,
        "authentication": 1,
        "data processing": 2,
        "core module": 2,
        "cache": 3,
        "background jobs": 3,
        "external integration": 3,
        "HTTP API": 4,
        "WebSocket channel": 5,
        "command line": 5,
        "user interface": 6,
        "tests": 7,
    }
    for component in sorted(names, key=lambda n: order.get(n, 4)):
        if component == "tests":
            result.steps.append("Write end-to-end tests across the components")
        else:
            result.steps.append(f"Build the {component} with its unit tests, against the agreed interface")
    result.questions = [q for signals, q in _QUESTIONS if not words & set(signals)]
    return result


def render(d: Decomposition) -> list[str]:
    """The decomposition as Markdown sections, one string each (the offline provider streams them)."""
    sections = [f"## Goal\n{d.goal}\n"]
    if d.requirements:
        sections.append("## Requirements stated\n" + "".join(f"- {r}\n" for r in d.requirements))
    if d.constraints:
        sections.append("## Constraints stated\n" + "".join(f"- {c}\n" for c in d.constraints))
    sections.append("## Components\n" + "".join(f"- **{n}**: {duty}\n" for n, duty in d.components))
    sections.append("## Order of work\n" + "".join(f"{i}. {s}\n" for i, s in enumerate(d.steps, 1)))
    if d.questions:
        sections.append("## Open questions\n" + "".join(f"- {q}\n" for q in d.questions))
    return sections
