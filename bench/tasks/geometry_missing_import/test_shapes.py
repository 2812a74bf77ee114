import pytest
from shapes import circle_area, distance, perimeter, polygon_area

SQUARE = [(0, 0), (2, 0), (2, 2), (0, 2)]


def test_distance():
    assert distance((0, 0), (3, 4)) == 5.0


def test_perimeter_of_square():
    assert perimeter(SQUARE) == 8.0


def test_area_of_square():
    assert polygon_area(SQUARE) == 4.0


def test_circle_area():
    assert circle_area(1) == pytest.approx(3.14159265)
    with pytest.raises(ValueError):
        circle_area(-1)
