"""`aura dashboard` and the `.pth` file that lets the Ray tools sign in to the cluster `aura up` starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A shell of a user whose home is `home`: no Ray or Aura variables at all."""
    return {"HOME": str(home), "PATH": os.environ["PATH"], "AURA_DATA_DIR": str(home / ".aura")} | extra


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60)


def test_dashboard_prints_the_address_up_recorded_and_the_users_token(tmp_path: Path) -> None:
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("c0ffee" * 8 + "\n")
    (tmp_path / ".aura").mkdir()
    (tmp_path / ".aura" / "up.json").write_text(
        json.dumps(
            {
                "pid": 1,
                "api": "http://127.0.0.1:8000",
                "docs": "",
                "dashboard": "http://127.0.0.1:9265",
                "embedded_database": True,
                "ray_address": "127.0.0.1:6379",
            }
        )
    )
    shown = run(["-m", "deployments", "dashboard"], clean_env(tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert "Dashboard  http://127.0.0.1:9265" in shown.stdout
    assert "Token      " + "c0ffee" * 8 in shown.stdout


def test_dashboard_without_a_token_says_how_to_make_one(tmp_path: Path) -> None:
    shown = run(["-m", "deployments", "dashboard"], clean_env(tmp_path))
    assert shown.returncode == 1
    assert "ray get-auth-token --generate" in shown.stdout
    assert "Traceback" not in shown.stderr


def auth_mode(env: dict[str, str]) -> str:
    return run(["-c", "import os; print(os.environ.get('RAY_AUTH_MODE', 'unset'))"], env).stdout.strip()


def test_every_process_of_the_environment_uses_token_auth_once_a_token_exists(tmp_path: Path) -> None:
    assert auth_mode(clean_env(tmp_path)) == "unset"
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("t")
    assert auth_mode(clean_env(tmp_path)) == "token"
    assert auth_mode(clean_env(tmp_path, RAY_AUTH_MODE="disabled")) == "disabled"


def test_a_token_named_by_variable_counts_too(tmp_path: Path) -> None:
    assert auth_mode(clean_env(tmp_path, RAY_AUTH_TOKEN="t")) == "token"
    elsewhere = tmp_path / "token"
    elsewhere.write_text("t")
    assert auth_mode(clean_env(tmp_path, RAY_AUTH_TOKEN_PATH=str(elsewhere))) == "token"
