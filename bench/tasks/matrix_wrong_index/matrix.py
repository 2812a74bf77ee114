"""Small dense matrix operations on lists of rows."""


def shape(m):
    return len(m), len(m[0]) if m else 0


def transpose(m):
    rows, cols = shape(m)
    return [[m[r][c] for r in range(rows)] for c in range(cols)]


def multiply(a, b):
    """The matrix product a × b."""
    rows, inner = shape(a)
    inner_b, cols = shape(b)
    if inner != inner_b:
        raise ValueError(f"cannot multiply {rows}x{inner} by {inner_b}x{cols}")
    result = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        for j in range(cols):
            for k in range(inner):
                result[i][j] += a[i][k] * b[k][i]
    return result


def identity(n):
    return [[1 if r == c else 0 for c in range(n)] for r in range(n)]
