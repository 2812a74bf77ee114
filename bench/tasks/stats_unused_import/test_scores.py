import pytest
from scores import grade, mean, median, summary


def test_mean_and_median():
    assert mean([70, 80, 90]) == 80
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_empty_input_rejected():
    with pytest.raises(ValueError):
        mean([])
    with pytest.raises(ValueError):
        median([])


def test_grades():
    assert [grade(s) for s in (95, 85, 75, 65, 10)] == ["A", "B", "C", "D", "F"]
    assert grade(90) == "A"


def test_summary():
    assert summary([50, 60, 100]) == {"mean": 70.0, "median": 60, "best": 100}
