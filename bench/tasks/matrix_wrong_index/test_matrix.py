import pytest
from matrix import identity, multiply, transpose


def test_multiply_square():
    assert multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]


def test_multiply_rectangular():
    a = [[1, 2, 3], [4, 5, 6]]
    b = [[7, 8], [9, 10], [11, 12]]
    assert multiply(a, b) == [[58, 64], [139, 154]]


def test_identity_is_neutral():
    m = [[2, -1], [0, 3]]
    assert multiply(m, identity(2)) == m


def test_shape_mismatch_and_transpose():
    with pytest.raises(ValueError):
        multiply([[1, 2]], [[1, 2]])
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
