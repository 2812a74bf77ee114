"""Settings from the environment and `.env`, printed with secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from aura.cli import app
from aura.settings import Settings, get_settings


def test_defaults_need_nothing_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("AURA_DATA_DIR", "AURA_DATABASE_URL", "RAY_ADDRESS", "AURA_RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == Path("~/.aura").expanduser()
    assert (settings.serve_host, settings.serve_port) == ("127.0.0.1", 8000)
    assert settings.database_url is None and settings.ray_address is None


def test_prefixed_and_provider_names_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AURA_SERVE_PORT=9100\nAURA_LOG_LEVEL=debug\n")
    monkeypatch.setenv("MISTRAL_API_KEY", "mk-123")
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    settings = Settings()
    assert settings.serve_port == 9100 and settings.log_level == "DEBUG"
    assert settings.mistral_api_key.get_secret_value() == "mk-123"
    assert settings.ray_address == "10.0.0.5:6379"


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURA_SERVE_PORT", "70000")
    with pytest.raises(ValidationError, match="serve_port"):
        Settings()


def test_aura_config_masks_every_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AURA_JWT_SECRET", "very-secret-jwt")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-hidden")
    monkeypatch.setenv("AURA_DATABASE_URL", "postgresql://u:pw-hidden@db/aura")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["config"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0
    for secret in ("very-secret-jwt", "sk-ant-hidden", "pw-hidden"):
        assert secret not in result.output
    shown = json.loads(result.output)
    assert shown["jwt_secret"] == shown["anthropic_api_key"] == shown["database_url"] == "********"
