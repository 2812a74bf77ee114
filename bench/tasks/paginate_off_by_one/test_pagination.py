import pytest
from pagination import page_count, paginate

ITEMS = list(range(1, 26))  # 25 items


def test_page_count():
    assert page_count(25, 10) == 3
    assert page_count(0, 10) == 1
    assert page_count(20, 10) == 2


def test_first_page():
    result = paginate(ITEMS, 1)
    assert result["items"] == list(range(1, 11))
    assert result["has_next"] and not result["has_prev"]


def test_last_page_is_partial():
    result = paginate(ITEMS, 3)
    assert result["items"] == [21, 22, 23, 24, 25]
    assert not result["has_next"]


def test_out_of_range():
    with pytest.raises(ValueError):
        paginate(ITEMS, 4)
    with pytest.raises(ValueError):
        paginate(ITEMS, 0)
