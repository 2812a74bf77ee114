"""The house rules between packages: imports point down a floor, through surfaces, and surfaces are pinned."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aura.surface import origins

ROOT = Path(__file__).resolve().parent.parent

# Which packages each package may import: the floors of docs/architecture.md.
FLOORS: dict[str, frozenset[str]] = {
    "aura": frozenset(),
    "actors": frozenset({"aura"}),
    "quantum": frozenset({"aura"}),
    "lattice": frozenset({"aura", "actors", "quantum"}),
    "negotiation": frozenset({"aura", "actors", "quantum"}),
    "deployments": frozenset({"aura", "actors", "quantum", "lattice", "negotiation"}),
}

SURFACES: dict[str, list[str]] = {
    "aura": [
        "JSON_NUMBER", "Boolean", "Integer", "Number",
        "AuraError", "AuthError", "Coalescer", "HostHealth", "HostState", "IdempotencyStore", "MeterSync", "NAMESPACE",
        "NamedActor", "Principal", "RESTART_ERRORS", "Rate",
        "RateLimiter", "Refused", "SecretUnusable", "Stored", "TokenVerifier", "UsageEvent", "UsageLedger",
        "UsageSummary", "__version__", "billing_sync", "configure_logging", "configure_tracing", "counter",
        "current_trace_id",
        "ensure_billing_sync", "excerpt", "feature_vector", "fingerprint", "gauge", "histogram", "jwt_secret",
        "lazy_surface", "ledger_key",
        "load", "mint_token", "records_spans", "request_id", "request_span", "server_secret", "settle", "settled",
        "stage", "stage_timings",
    ],
    "aura.settings": [
        "AuthSettings", "BillingSettings", "LatticeSettings", "LimitSettings", "NegotiationSettings", "PriceTable",
        "QuantumSettings", "RetentionSettings", "SandboxSettings", "Section", "Setting", "Settings",
        "SupervisionSettings", "describe", "get_settings", "reference",
    ],
    "aura.store": [
        "DATABASE_DOWN", "Sweep", "Sweeper", "close_pool", "configured_pool", "connect_url", "expire_pools",
        "hold_database",
        "migrate", "pool", "release_database", "revive_database", "sweep",
    ],
    "actors": [
        "ActorFailed", "Deliver", "Failure", "Host", "HostGroup", "HostSpec", "HostStats", "HostUnreachable",
        "LogicalActor", "Persistence", "W2Loop", "host_index", "step_rows", "w2_rows_to_points", "wasserstein2",
    ],
    "quantum": [
        "BackendError", "BuilderBusy", "CircuitBuilder", "CircuitError", "CircuitLimits", "DEFAULT_LIMITS",
        "LatticeEdge", "MAX_SHOTS", "MetricsRequest", "MetricsResponse", "MetricsResult", "PoolBusy", "PoolConfig",
        "PoolStats", "QuantumError", "QuantumJobFailed", "bell", "build", "check_pool", "from_qasm", "ghz",
        "ibm_access", "lattice", "measured", "metrics", "pool_stats", "run_metrics", "validate_name",
    ],
    "lattice": [
        "AgentResponse", "AgentUpdate", "AuraHealth", "AutopilotEvent", "AutopilotOut", "AutopilotRequest",
        "AutopilotStepOut", "CellDirectory", "CellHealth", "ChatRequest", "ChatResponse",
        "ChatResult",
        "ClientMessage", "Connected", "ConsciousnessMetrics", "ErrorEvent", "Event", "LatticeService",
        "LatticeUpdate", "LatticeView", "MessageOut", "MessagesOut", "Pong", "QuantumMetricsEvent", "ROLES",
        "ResponseChunk", "RunOut", "SandboxRunEvent",
        "Session", "SessionBus", "SessionClosed", "SessionEnded", "SessionNotFound", "SessionOut", "Subscription",
        "TooManySessions", "TracesOut", "WorkspaceFile", "agent_id", "shared_relay", "sweep_ended_sessions",
    ],
    "lattice.autopilot": [
        "Autopilot", "AutopilotNeedsTests", "AutopilotNotFound", "AutopilotRun", "AutopilotRunning",
        "AutopilotStore", "Order", "Status", "Step",
    ],
    "lattice.sandbox": [
        "DEFAULT_TEST_COMMAND", "Limit", "Limits", "Run", "Sandbox", "SandboxUnavailable", "TestCase", "TestReport",
        "Workspace", "WorkspaceError", "checked_path", "command_for", "parse_junit", "shared_sandbox",
    ],
    "lattice.providers": [
        "Completion", "Provider", "ProviderError", "ProviderRequest", "Turn", "get_provider", "provider_name",
    ],
    "negotiation": [
        "AcceptedData", "AccessDenied", "ActionRequired", "AgentKey", "ApiCallFailed", "Bid", "BuyerAgent",
        "BuyerOutcome", "BuyerPlan", "Catalog", "CatalogItem", "CounteredData", "DEMO_CATALOG", "Deal", "DealsPage",
        "Embedder", "HashingEmbedder", "IdentityError", "ItemTerms", "Limits", "NegotiateRequest",
        "NegotiateResponse", "NegotiationClient", "NegotiationError", "NegotiationService", "RejectedData",
        "SearchHit", "SearchRequest", "SearchResponse", "Seller", "SellerDecision", "SignedRequest", "answer_of",
        "canonical_did", "did_from_key", "embedder_from_settings", "read_catalog_file", "seed_demo_catalog",
        "seller_group", "session_token", "verify_request",
    ],
    "negotiation.simulate": ["Scenario", "ScenarioError", "Summary", "execute", "load"],
}  # fmt: skip


def _packages() -> set[str]:
    """Every package (a folder with an `__init__.py`) of the product, dotted."""
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for floor in FLOORS
        for init in (ROOT / floor).rglob("__init__.py")
    }


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in `tree`, including those inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def house_rule_breaks(package: str, source: str, packages: set[str]) -> list[str]:
    """What in `source`, a module of `package`, imports up a floor or past another package's surface."""
    breaks = []
    for line, module in _imports(ast.parse(source)):
        floor = module.split(".")[0]
        if floor not in FLOORS or floor == package:
            continue
        if floor not in FLOORS[package]:
            breaks.append(f"line {line}: {package} imports {module}, a floor up")
        elif module not in packages:
            breaks.append(f"line {line}: {module} is a module; import from its package's surface")
    return breaks


def _sources() -> Iterator[tuple[str, Path]]:
    for floor in FLOORS:
        for path in sorted((ROOT / floor).rglob("*.py")):
            yield floor, path


def test_every_import_between_packages_points_down_through_a_surface() -> None:
    packages = _packages()
    breaks = [
        f"{path.relative_to(ROOT)} {found}"
        for floor, path in _sources()
        for found in house_rule_breaks(floor, path.read_text(), packages)
    ]
    assert breaks == []


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("aura", "def f():\n    from negotiation import Seller\n", "line 2: aura imports negotiation, a floor up"),
        ("negotiation", "import lattice\n", "line 1: negotiation imports lattice, a floor up"),
        (
            "lattice",
            "from actors.host import HostSpec\n",
            "line 1: actors.host is a module; import from its package's surface",
        ),
    ],
)
def test_the_rule_catches_an_upward_or_a_deep_import(package: str, source: str, expected: str) -> None:
    assert house_rule_breaks(package, source, _packages()) == [expected]


def test_no_import_waits_behind_code() -> None:
    waiting = [str(path.relative_to(ROOT)) for _, path in _sources() if "noqa: E402" in path.read_text()]
    assert waiting == []


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_each_package_names_its_surface_and_every_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(SURFACES[package])
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("package", ["aura", "actors", "quantum", "lattice", "negotiation", "negotiation.simulate"])
def test_a_lazy_surface_declares_where_each_of_its_names_lives(package: str) -> None:
    declared = set(origins(ROOT / package.replace(".", "/") / "__init__.py"))
    loaded_by_hand = {"lazy_surface"}  # what the package's __init__ itself imports to build the surface
    assert declared | loaded_by_hand >= set(SURFACES[package]) >= declared


@pytest.mark.parametrize(
    ("package", "heavy"),
    [("aura", "stripe"), ("negotiation", "ray"), ("lattice", "ray"), ("quantum", "qiskit"), ("actors", "ray")],
)
def test_importing_a_package_loads_nothing_until_a_name_is_used(package: str, heavy: str) -> None:
    probe = f"import sys, {package}; print({heavy!r} in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert answer.stdout.strip() == "False"
