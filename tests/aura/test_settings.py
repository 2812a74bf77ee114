"""The one settings tree: every field from its own variable or `.env`, documented, printed masked with its origin."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from aura.settings import Settings, describe, get_settings, reference
from aura.settings.sources import variables
from deployments.cli import app


def test_defaults_need_nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("AURA_DATA_DIR", "AURA_DATABASE_URL", "RAY_ADDRESS", "AURA_RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == Path("~/.aura").expanduser()
    assert (settings.serve_host, settings.serve_port) == ("127.0.0.1", 8000)
    assert settings.database_url is None and settings.ray_address is None
    assert settings.negotiation.max_rounds == 8 and settings.lattice.lattice_provider == "auto"


def test_prefixed_and_provider_names_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AURA_SERVE_PORT=9100\nAURA_LOG_LEVEL=debug\nAURA_MAX_ROUNDS=5\n")
    monkeypatch.setenv("MISTRAL_API_KEY", "mk-123")
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    monkeypatch.setenv("AURA_QUANTUM_MAX_QUBITS", "12")
    monkeypatch.setenv("AURA_MAX_ROUNDS", "6")  # the environment wins over the file
    settings = Settings()
    assert settings.serve_port == 9100 and settings.log_level == "DEBUG"
    assert settings.negotiation.mistral_api_key.get_secret_value() == "mk-123"
    assert settings.ray_address == "10.0.0.5:6379"
    assert settings.quantum.max_qubits == 12 and settings.negotiation.max_rounds == 6


def test_bad_values_are_refused_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURA_SERVE_PORT", "70000")
    with pytest.raises(ValidationError, match="serve_port"):
        Settings()
    monkeypatch.delenv("AURA_SERVE_PORT")
    monkeypatch.setenv("AURA_MAX_ROUNDS", "0")
    with pytest.raises(ValidationError, match="max_rounds"):
        Settings()


def test_every_field_has_one_variable_of_its_own_and_a_description() -> None:
    fields = list(variables(Settings))
    names = Counter(name for field in fields for name in field.names)
    assert not [name for name, count in names.items() if count > 1]
    assert not [f"{field.section}.{field.name}" for field in fields if not field.field.description]
    assert {field.section for field in fields} >= {None, "negotiation", "lattice", "quantum", "auth", "limits"}


def test_aura_config_prints_the_tree_masked_with_each_origin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AURA_STEP_TIMEOUT_S=30\n")
    monkeypatch.setenv("AURA_JWT_SECRET", "very-secret-jwt")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-hidden")
    monkeypatch.setenv("AURA_DATABASE_URL", "postgresql://u:pw-hidden@db/aura")
    monkeypatch.setenv("AURA_MAX_ROUNDS", "5")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["config", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for secret in ("very-secret-jwt", "sk-ant-hidden", "pw-hidden"):
        assert secret not in result.output
    shown = {line["name"]: line for line in json.loads(result.output)}
    assert shown["auth.jwt_secret"]["value"] == shown["lattice.anthropic_api_key"]["value"] == "********"
    assert shown["database_url"]["value"] == "********"
    assert shown["negotiation.max_rounds"] == {
        "name": "negotiation.max_rounds",
        "variable": "AURA_MAX_ROUNDS",
        "value": 5,
        "origin": "environment",
    }
    assert shown["lattice.step_timeout_s"]["origin"] == "file"
    assert shown["quantum.max_qubits"]["origin"] == "default"
    assert len(shown) == len(describe(Settings()))


def test_the_settings_reference_in_docs_is_the_tree() -> None:
    documented = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()
    assert reference() in documented, "docs/settings.md is stale: paste `aura config --reference` into it"
    for variable in variables(Settings):
        assert f"`{variable.names[0]}`" in reference()


def test_aura_config_reference_prints_the_table() -> None:
    answer = CliRunner().invoke(app, ["config", "--reference"])
    assert answer.exit_code == 0
    assert answer.output == reference()
