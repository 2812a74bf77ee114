"""Exact Wasserstein-2 distance between distributions on the real line.

`W2(P, Q) = sqrt(∫₀¹ |F_P⁻¹(u) − F_Q⁻¹(u)|² du)`. For weighted samples both
quantile functions are step functions, so the integral is a finite sum over
the intervals between their combined jump levels: no approximation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _distribution(values: ArrayLike, weights: ArrayLike | None, name: str) -> tuple[NDArray, NDArray]:
    """Sorted support and cumulative probabilities of one weighted sample."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has non-finite values")
    if weights is None:
        w = np.full(x.size, 1.0 / x.size)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != x.shape:
            raise ValueError(f"{name} weights have shape {w.shape}, values {x.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{name} weights must be finite and non-negative")
        total = w.sum()
        if total <= 0:
            raise ValueError(f"{name} weights sum to zero")
        w = w / total
    order = np.argsort(x, kind="stable")
    cumulative = np.cumsum(w[order])
    cumulative[-1] = 1.0  # absorb rounding so both quantile functions end at exactly 1
    return x[order], cumulative


def wasserstein2(
    u_values: ArrayLike,
    v_values: ArrayLike,
    u_weights: ArrayLike | None = None,
    v_weights: ArrayLike | None = None,
) -> float:
    """W2 between two weighted samples (weights default to uniform; they need not sum to 1).

    Raises `ValueError` for empty samples, non-finite values or invalid weights.
    """
    x, cx = _distribution(u_values, u_weights, "u")
    y, cy = _distribution(v_values, v_weights, "v")
    levels = np.union1d(cx, cy)
    widths = np.diff(levels, prepend=0.0)
    keep = widths > 0
    levels, widths = levels[keep], widths[keep]
    # On (previous level, level] each quantile function is the first support point
    # whose cumulative probability reaches the level.
    qx = x[np.minimum(np.searchsorted(cx, levels, side="left"), x.size - 1)]
    qy = y[np.minimum(np.searchsorted(cy, levels, side="left"), y.size - 1)]
    return float(np.sqrt(np.sum(widths * (qx - qy) ** 2)))


def w2_rows_to_points(samples: NDArray, targets: NDArray) -> NDArray:
    """W2 between each row's equally weighted samples and a point mass at that row's target.

    `samples` has shape (rows, n), `targets` shape (rows,). Against a point mass
    the quantile function is constant, so W2 = sqrt(mean((x − t)²)).
    NaN entries are missing outcomes and are left out of their row; a row
    with no outcomes gets NaN.
    """
    diff = samples - targets[:, None]
    counts = np.sum(~np.isnan(diff), axis=1)
    total = np.nansum(diff * diff, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.sqrt(total / counts), np.nan)
