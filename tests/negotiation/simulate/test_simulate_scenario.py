"""Scenario loading and validation: bad scenarios fail fast, naming the field."""

import json

import pytest

from negotiation.simulate.scenario import ScenarioError, load


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"buyers": -5}, "buyers: Input should be greater than or equal to 1"),
        ({"sellers": 0}, "sellers: Input should be greater than or equal to 1"),
        ({"negotiations": -1}, "negotiations: Input should be greater than or equal to 1"),
        ({"seller": {"strategies": {"haggler": 1}}}, "seller.strategies: unknown strategy 'haggler'"),
        ({"seller": {"floor_price": {"low": 100, "high": 130}}}, "floor above base: floor_price.high 130.0"),
        ({"buyer": {"strategies": {}}}, "buyer.strategies: Value error, empty population"),
        ({"buyer": {"strategies": {"linear": 0}}}, "buyer.strategies: Value error, empty population"),
        ({"buyer": {"strategies": {"linear": -1}}}, "buyer.strategies: Value error, negative weight for linear"),
        ({"negotiations": 3, "epochs": 5}, "negotiations 3 is fewer than epochs 5"),
        ({"buyer": {"reservation_price": {"low": 10, "high": 5}}}, "buyer.reservation_price: Value error, low 10.0"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_scenarios_name_the_field(overrides, expected):
    with pytest.raises(ScenarioError) as raised:
        load(None, overrides)
    assert expected in str(raised.value)


def test_yaml_file_with_flag_overrides(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "buyers: 10\nsellers: 3\nnegotiations: 100\n"
        "seller:\n  strategies: {rule: 1, tit-for-tat: 2}\n  floor_price: {low: 50, high: 60}\n"
    )
    scenario = load(path, {"seed": 9, "seller": {"base_price": {"low": 70, "high": 80}}})
    assert (scenario.buyers, scenario.sellers, scenario.negotiations, scenario.seed) == (10, 3, 100, 9)
    assert scenario.seller.strategies == {"rule": 1, "tit-for-tat": 2}
    assert (scenario.seller.floor_price.high, scenario.seller.base_price.low) == (60, 70)


def test_json_file(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"deadline": 7, "buyer": {"strategies": {"adaptive": 1}}}))
    scenario = load(path)
    assert scenario.deadline == 7 and scenario.buyer.strategies == {"adaptive": 1}


def test_other_file_types_are_refused(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text("buyers = 1")
    with pytest.raises(ScenarioError, match="expected .yaml, .yml or .json"):
        load(path)
