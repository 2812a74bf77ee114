from datetime import date

import pytest
from booking import nights, overlaps, stay_dates, weekend_nights


def test_nights():
    assert nights(date(2024, 2, 27), date(2024, 3, 2)) == 4
    with pytest.raises(ValueError):
        nights(date(2024, 1, 2), date(2024, 1, 2))


def test_stay_dates_cross_month():
    assert stay_dates(date(2024, 2, 28), date(2024, 3, 1)) == [date(2024, 2, 28), date(2024, 2, 29)]


def test_weekend_nights():
    # 2024-06-06 is a Thursday: nights start Thu, Fri, Sat, Sun.
    assert weekend_nights(date(2024, 6, 6), date(2024, 6, 10)) == 2


def test_overlaps():
    assert overlaps(date(2024, 1, 1), date(2024, 1, 5), date(2024, 1, 4), date(2024, 1, 6))
    assert not overlaps(date(2024, 1, 1), date(2024, 1, 5), date(2024, 1, 5), date(2024, 1, 6))
