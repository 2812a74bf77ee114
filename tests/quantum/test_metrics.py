"""Φ, Γ, Λ, W₂ on states whose values are known, and against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector, random_statevector

from actors.w2 import wasserstein2
from quantum.circuits import bell, ghz
from quantum.metrics import (
    LAMBDA_PHI,
    coherence,
    gamma,
    hamming_weights,
    lam,
    metric_rows,
    metrics,
    outcome_distribution,
    phi,
    w2,
)


def exact_counts(state: Statevector, shots: int = 1 << 16) -> dict[str, int]:
    """Counts proportional to the ideal distribution (exact for the dyadic states used here)."""
    n = state.num_qubits
    return {format(i, f"0{n}b"): round(p * shots) for i, p in enumerate(state.probabilities()) if round(p * shots)}


def plus_state(n: int) -> Statevector:
    circuit = QuantumCircuit(n)
    circuit.h(range(n))
    return Statevector(circuit)


def two_bell_pairs() -> QuantumCircuit:
    circuit = QuantumCircuit(4)
    circuit.h([0, 2])
    circuit.cx(0, 1)
    circuit.cx(2, 3)
    return circuit


def brute_force_phi(p: np.ndarray, n: int) -> float:
    """Mutual information of every bipartition, enumerated directly from the joint table."""
    table = p.reshape((2,) * n)  # axis k is qubit n-1-k (index bit k is qubit k)
    best = math.inf
    for size in range(1, n):
        for part in itertools.combinations(range(n), size):
            rest = tuple(q for q in range(n) if q not in part)

            def entropy(qubits: tuple[int, ...]) -> float:
                drop = tuple(n - 1 - q for q in range(n) if q not in qubits)
                marginal = table.sum(axis=drop).ravel()
                marginal = marginal[marginal > 0]
                return float(-(marginal * np.log2(marginal)).sum())

            best = min(best, entropy(part) + entropy(rest) - entropy(tuple(range(n))))
    return min(1.0, best)


def brute_force_w2(p_h: np.ndarray, q_h: np.ndarray, grid: int = 1 << 14) -> float:
    """W2 by integrating the squared quantile difference at the midpoints of a fine u-grid.

    The quantile functions are step functions on integers whose steps sit at
    multiples of 1/grid for the distributions used, so the midpoint rule is exact.
    """
    u = (np.arange(grid) + 0.5) / grid
    fp = np.searchsorted(np.cumsum(p_h), u, side="left")
    fq = np.searchsorted(np.cumsum(q_h), u, side="left")
    return float(np.sqrt(np.mean((fp - fq) ** 2.0)))


def test_zero_state_has_no_information_and_no_coherence() -> None:
    state = Statevector.from_label("000")
    result = metrics({"000": 500}, state)
    assert result.phi == 0.0
    assert result.gamma == 0.0
    assert result.w2 == 0.0
    assert coherence(state) == 0.0
    assert result.lam == 0.0


def test_uniform_superposition_is_fully_coherent_and_uncorrelated() -> None:
    state = plus_state(3)
    result = metrics(exact_counts(state), state)
    assert coherence(state) == pytest.approx(1.0)
    assert result.lam == pytest.approx(LAMBDA_PHI)
    assert result.phi == pytest.approx(0.0, abs=1e-12)
    assert result.gamma == pytest.approx(0.0, abs=1e-12)


def test_bell_state_shares_one_bit() -> None:
    state = Statevector(bell())
    result = metrics({"00": 512, "11": 512}, state)
    assert result.phi == pytest.approx(1.0)
    assert result.gamma == pytest.approx(0.0)
    # |Φ+⟩ has two off-diagonal entries of ½ out of 2² − 1 = 3 possible ones.
    assert coherence(state) == pytest.approx(1 / 3)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_ghz_has_phi_one_and_the_known_coherence(n: int) -> None:
    state = Statevector(ghz(n))
    result = metrics({"0" * n: 300, "1" * n: 300}, state)
    assert result.phi == pytest.approx(1.0)
    assert coherence(state) == pytest.approx(1 / (2**n - 1))
    assert result.w2 == pytest.approx(0.0)


def test_two_independent_bell_pairs_have_phi_zero() -> None:
    state = Statevector(two_bell_pairs())
    counts = exact_counts(state)
    p = outcome_distribution(counts, 4)
    # Splitting between the pairs shares nothing; any split through a pair shares a bit or more.
    assert phi(p, 4) == pytest.approx(0.0, abs=1e-12)
    assert brute_force_phi(p, 4) == pytest.approx(0.0, abs=1e-12)


def test_phi_matches_enumerating_every_bipartition() -> None:
    rng = np.random.default_rng(7)
    # Up to seven qubits Φ enumerates bipartitions itself; from eight on it runs Queyranne's algorithm.
    for n in range(2, 10):
        for _ in range(8):
            p = np.zeros(1 << n)
            support = rng.choice(1 << n, size=rng.integers(1, (1 << n) + 1), replace=False)
            p[support] = rng.random(support.size) ** 3
            p /= p.sum()
            assert phi(p, n) == pytest.approx(brute_force_phi(p, n), abs=1e-9)


def test_count_keys_are_little_endian() -> None:
    p = outcome_distribution({"001": 3, "100": 1}, 3)
    assert p[1] == pytest.approx(0.75)  # "001": qubit 0 is 1
    assert p[4] == pytest.approx(0.25)
    assert np.allclose(outcome_distribution({"0x1": 3, "0x4": 1}, 3), p)
    # The ideal distribution indexes the same way: X on qubit 0 gives outcome 1.
    circuit = QuantumCircuit(3)
    circuit.x(0)
    assert Statevector(circuit).probabilities()[1] == pytest.approx(1.0)
    assert metrics({"001": 10}, Statevector(circuit)).gamma == 0.0


def test_gamma_is_total_variation() -> None:
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.5, 0.25, 0.25])
    assert gamma(p, q) == pytest.approx(0.5)
    assert gamma(p, p) == 0.0
    assert gamma([1, 0], [0, 1]) == 1.0


def test_w2_matches_a_brute_force_quantile_integral() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 3, 6):
        for _ in range(10):
            p = rng.integers(0, 64, size=1 << n).astype(float)
            q = rng.integers(0, 64, size=1 << n).astype(float)
            p[0] += 1
            q[-1] += 1
            p /= p.sum()
            q /= q.sum()
            weights = hamming_weights(n)
            p_h = np.bincount(weights, weights=p, minlength=n + 1)
            q_h = np.bincount(weights, weights=q, minlength=n + 1)
            # Exactness needs dyadic steps; rounding to the grid keeps both computations on the same input.
            grid = 1 << 14
            p_h = np.round(p_h * grid) / grid
            q_h = np.round(q_h * grid) / grid
            p_h[-1] += 1 - p_h.sum()
            q_h[-1] += 1 - q_h.sum()
            p_dyadic = np.zeros_like(p)
            q_dyadic = np.zeros_like(q)
            for h in range(n + 1):
                first = int(np.flatnonzero(weights == h)[0])
                p_dyadic[first], q_dyadic[first] = p_h[h], q_h[h]
            assert w2(p_dyadic, q_dyadic, n) == pytest.approx(brute_force_w2(p_h, q_h, grid) / n, abs=1e-12)


def test_w2_extremes() -> None:
    n = 4
    all_zero = np.eye(1, 1 << n, 0).ravel()
    all_one = np.eye(1, 1 << n, (1 << n) - 1).ravel()
    assert w2(all_zero, all_one, n) == pytest.approx(1.0)
    assert w2(all_zero, all_zero, n) == 0.0


def test_lambda_scales_coherence() -> None:
    state = plus_state(2)
    assert lam(state) == pytest.approx(LAMBDA_PHI * coherence(state))
    dense = np.abs(np.outer(state.data, state.data.conj()))
    assert coherence(state) == pytest.approx((dense.sum() - np.trace(dense)) / 3)


def test_invalid_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        outcome_distribution({}, 2)
    with pytest.raises(ValueError):
        outcome_distribution({"111": 1}, 2)


def test_metric_rows_give_each_run_its_own_metrics_by_independent_computations() -> None:
    rng = np.random.default_rng(11)
    n = 5
    states = [random_statevector(1 << n, seed=seed) for seed in range(12)]
    measured = np.array([rng.multinomial(512, state.probabilities()) / 512 for state in states])
    rows = metric_rows(measured, np.array([state.data for state in states]))
    levels = np.arange(n + 1)
    for values, p, state in zip(rows, measured, states, strict=True):
        q = state.probabilities()
        assert values.gamma == pytest.approx(0.5 * np.abs(p - q).sum(), abs=1e-12)
        p_h = np.bincount(hamming_weights(n), weights=p, minlength=n + 1)
        q_h = np.bincount(hamming_weights(n), weights=q, minlength=n + 1)
        assert values.w2 == pytest.approx(wasserstein2(levels, levels, p_h, q_h) / n, abs=1e-12)
        assert values.phi == pytest.approx(brute_force_phi(p, n), abs=1e-9)
        dense = np.abs(np.outer(state.data, state.data.conj()))
        assert values.lam == pytest.approx(LAMBDA_PHI * (dense.sum() - np.trace(dense)) / (2**n - 1), rel=1e-9)


def test_metric_rows_refuse_mismatched_shapes() -> None:
    with pytest.raises(ValueError):
        metric_rows(np.ones((2, 4)) / 4, np.ones((3, 4)) / 2)
    with pytest.raises(ValueError):
        metric_rows(np.ones((2, 3)) / 3, np.ones((2, 3)))
