"""The simulation scenario: who negotiates, how often, with which strategies and prices.

Loaded from a YAML or JSON file and/or flags, validated up front so a bad
scenario fails before any Ray work starts, with a message naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aura import AuraError

StrategyLabel = Literal["boulware", "linear", "conceder", "tit-for-tat", "rule", "adaptive"]


#: The strategies a side plays when its scenario names none, in equal shares.
_DEFAULT_MIX: dict[StrategyLabel, float] = {"boulware": 1.0, "linear": 1.0, "conceder": 1.0}


class PriceRange(BaseModel):
    """Prices drawn uniformly from [low, high], independently for each party."""

    model_config = ConfigDict(extra="forbid")

    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class _Population(BaseModel):
    """One side's strategy mix: relative weights by strategy name."""

    model_config = ConfigDict(extra="forbid")

    strategies: dict[StrategyLabel, float] = Field(default_factory=lambda: _DEFAULT_MIX.copy())

    @field_validator("strategies")
    @classmethod
    def _mix(cls, weights: dict[str, float]) -> dict[str, float]:
        if not weights:
            raise ValueError("empty population: name at least one strategy")
        negative = [name for name, weight in weights.items() if weight < 0]
        if negative:
            raise ValueError(f"negative weight for {', '.join(negative)}")
        if sum(weights.values()) <= 0:
            raise ValueError("empty population: every strategy has weight 0")
        return weights


class BuyerPopulation(_Population):
    """The buyers' strategy mix (relative weights) and how their prices are drawn."""

    reservation_price: PriceRange = Field(
        default_factory=lambda: PriceRange(low=90, high=130), description="The most a buyer pays."
    )
    aspiration_price: PriceRange = Field(
        default_factory=lambda: PriceRange(low=40, high=80), description="Where a buyer opens."
    )

    @model_validator(mode="after")
    def _aspiration_below_reservation(self) -> BuyerPopulation:
        if self.aspiration_price.high > self.reservation_price.low:
            raise ValueError(
                f"aspiration_price.high {self.aspiration_price.high} is above reservation_price.low "
                f"{self.reservation_price.low}: a buyer would open above the most it pays"
            )
        return self


class SellerPopulation(_Population):
    """The sellers' strategy mix (relative weights) and how their prices are drawn."""

    floor_price: PriceRange = Field(
        default_factory=lambda: PriceRange(low=70, high=110), description="The least a seller takes (hidden)."
    )
    base_price: PriceRange = Field(
        default_factory=lambda: PriceRange(low=120, high=160), description="Where a seller opens."
    )

    @model_validator(mode="after")
    def _floor_below_base(self) -> SellerPopulation:
        if self.floor_price.high > self.base_price.low:
            raise ValueError(
                f"floor above base: floor_price.high {self.floor_price.high} is above base_price.low "
                f"{self.base_price.low}"
            )
        return self


class Scenario(BaseModel):
    """A whole simulation run; the same scenario and seed give the same results on any number of shards."""

    model_config = ConfigDict(extra="forbid")

    buyers: int = Field(default=1000, ge=1, description="Number of buyers.")
    sellers: int = Field(default=100, ge=1, description="Number of sellers.")
    negotiations: int = Field(
        default=10_000, ge=1, description="Negotiations in the whole run, split evenly over epochs."
    )
    deadline: int = Field(
        default=20, ge=1, le=32_000, description="Rounds before a negotiation ends without agreement."
    )
    epochs: int = Field(default=5, ge=1, description="Epochs; every party's W2 loop steps once between epochs.")
    seed: int = Field(default=0, ge=0)
    target_utility: float = Field(
        default=1.0, ge=0, le=1, description="The score each party's W2 loop steers its outcomes toward."
    )
    buyer: BuyerPopulation = Field(default_factory=BuyerPopulation)
    seller: SellerPopulation = Field(default_factory=SellerPopulation)
    output_dir: Path | None = Field(
        default=None, description="Where outputs go; default {data_dir}/simulations/{run_id}."
    )

    @model_validator(mode="after")
    def _enough_negotiations(self) -> Scenario:
        if self.negotiations < self.epochs:
            raise ValueError(f"negotiations {self.negotiations} is fewer than epochs {self.epochs}")
        return self


class ScenarioError(AuraError, ValueError):
    """A scenario that cannot run; the detail names each bad field."""

    default_code = "invalid_scenario"


def describe(error: ValidationError) -> str:
    """One line per problem, `field.path: message`, for the terminal."""
    lines = []
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        if loc and loc[-1] == "[key]" and loc[-3:-2] == ["strategies"]:
            # A bad key in a strategy mix: name the mix and the unknown strategy.
            lines.append(f"{'.'.join(loc[:-2])}: unknown strategy {loc[-2]!r}; {problem['msg'].lower()}")
            continue
        lines.append(f"{'.'.join(loc) or 'scenario'}: {problem['msg']}")
    return "\n".join(lines)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` laid over it, nested dictionaries merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_file(path: Path) -> dict[str, Any]:
    """The raw scenario in a YAML (.yaml, .yml) or JSON (.json) file."""
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = yaml.safe_load(text)
    elif path.suffix.lower() == ".json":
        raw = json.loads(text)
    else:
        raise ScenarioError(detail=f"scenario file {path}: expected .yaml, .yml or .json")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(detail=f"scenario file {path}: expected a mapping at the top level")
    return raw


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario from `path` (if any) with `overrides` (from flags) on top; raises `ScenarioError`."""
    raw = read_file(path) if path is not None else {}
    try:
        return Scenario.model_validate(_merge(raw, overrides or {}))
    except ValidationError as error:
        raise ScenarioError(detail=describe(error)) from None
