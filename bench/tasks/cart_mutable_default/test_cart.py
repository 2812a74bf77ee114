import pytest
from cart import add_item, cart_total, item_count


def test_new_carts_start_empty():
    first = add_item("apple", 0.5, 4)
    second = add_item("pear", 0.75)
    assert [line["name"] for line in first] == ["apple"]
    assert [line["name"] for line in second] == ["pear"]


def test_total_of_a_fresh_cart():
    cart = add_item("bread", 2.25, 2)
    assert cart_total(cart) == 4.5


def test_same_item_raises_quantity():
    cart = add_item("milk", 1.2)
    add_item("milk", 1.2, 2, cart)
    assert len(cart) == 1
    assert item_count(cart) == 3


def test_explicit_cart_is_used():
    mine = [{"name": "tea", "price": 3.0, "qty": 1}]
    result = add_item("honey", 5.0, 1, mine)
    assert result is mine
    assert cart_total(mine) == 8.0


def test_quantity_must_be_positive():
    with pytest.raises(ValueError):
        add_item("egg", 0.3, 0)
