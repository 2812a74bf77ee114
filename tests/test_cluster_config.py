"""`cluster.yaml` is a config Ray's own cluster launcher accepts."""

from __future__ import annotations

from pathlib import Path

import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

CLUSTER_YAML = Path(__file__).resolve().parent.parent / "cluster.yaml"


def test_ray_validates_the_cluster_config() -> None:
    config = prepare_config(yaml.safe_load(CLUSTER_YAML.read_text()))
    validate_config(config)
    assert set(config["available_node_types"]) == {"head", "worker"}
    assert config["head_node_type"] == "head"


def test_every_node_installs_this_project() -> None:
    config = yaml.safe_load(CLUSTER_YAML.read_text())
    assert config["file_mounts"]["~/aura"] == "."
    assert any("uv sync --frozen" in command for command in config["setup_commands"])


def test_every_node_starts_ray_with_this_machines_token() -> None:
    config = yaml.safe_load(CLUSTER_YAML.read_text())
    assert config["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    starts = config["head_start_ray_commands"] + config["worker_start_ray_commands"]
    assert all("RAY_AUTH_MODE=token" in command for command in starts if "ray start" in command)
