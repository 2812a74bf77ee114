import pytest
from stock import Stock, reorder_list


def stocked(**levels):
    stock = Stock()
    for sku, quantity in levels.items():
        stock.receive(sku, quantity)
    return stock


def test_ship_reduces_level():
    stock = stocked(bolt=10)
    stock.ship("bolt", 4)
    assert stock.levels["bolt"] == 6
    with pytest.raises(ValueError):
        stock.ship("bolt", 7)


def test_reorder_list_lowest_first():
    stock = stocked(bolt=2, nut=40, washer=1, screw=5)
    assert reorder_list(stock, {}) == ["washer", "bolt", "screw"]


def test_custom_thresholds():
    stock = stocked(bolt=2, nut=40)
    assert reorder_list(stock, {"nut": 50, "bolt": 1}) == ["nut"]


def test_nothing_to_reorder():
    assert reorder_list(stocked(nut=40), {}) == []
