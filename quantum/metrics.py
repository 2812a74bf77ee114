"""Φ, Γ, Λ and W₂: defined statistics of circuit runs (docs/definitions.md, "The quantum metrics").

Each metric compares or summarises two distributions over the 2ⁿ outcomes of
an n-qubit circuit: the measured distribution p (counts / shots) and the
ideal distribution q of the exact, noise-free statevector of the same
circuit. They are statistics of circuit runs, nothing more: they claim no
physical or cognitive meaning beyond their definitions.

Bit ordering follows Qiskit throughout. A count key such as ``"011"`` is read
right to left, so outcome index ``int(key, 2)`` has qubit k's result in bit k,
exactly as in ``Statevector.probabilities()``. Every function here works on
such outcome indices, so p and q line up without any reversal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from qiskit.quantum_info import Statevector

LAMBDA_PHI: Final[float] = 2.176435e-8
"""ΛΦ in s⁻¹, the constant that scales the coherence C into Λ."""

PHI_CAP: Final[float] = 1.0
"""Φ is capped at one bit, the value of every bipartition of a GHZ state."""

# Up to this many qubits Φ enumerates every bipartition for a whole batch at once
# (2ⁿ⁻¹ − 1 of them, from 3ⁿ − 1 marginal entries per run); beyond it Queyranne's
# algorithm needs far fewer entropies.
_ENUMERATE_UP_TO: Final[int] = 7
# Rows are enumerated in chunks of at most this many marginal entries, to bound memory.
_ENUMERATION_ENTRIES: Final[int] = 1 << 20


@dataclass(frozen=True)
class Metrics:
    """The four quantum metrics of one circuit run."""

    phi: float
    gamma: float
    lam: float
    w2: float


def outcome_distribution(counts: Mapping[str, int], num_qubits: int) -> NDArray[np.float64]:
    """Measured distribution p over the 2ⁿ outcomes, from Qiskit count keys.

    Args:
        counts: outcome counts keyed by bit strings (qubit 0 rightmost; spaces
            between classical registers are ignored) or by ``0x`` hex strings.
        num_qubits: n, the number of measured qubits.

    Returns:
        Array of length 2ⁿ, indexed by outcome integer, summing to 1.

    Raises:
        ValueError: if there are no shots, a count is negative or a key does
            not name an outcome of n qubits.
    """
    size = 1 << num_qubits
    p = np.zeros(size, dtype=np.float64)
    for key, count in counts.items():
        if count < 0:
            raise ValueError(f"negative count {count} for outcome {key!r}")
        text = key.replace(" ", "")
        index = int(text, 16) if text.startswith("0x") else int(text, 2)
        if index >= size:
            raise ValueError(f"outcome {key!r} does not fit {num_qubits} qubits")
        p[index] += count
    total = p.sum()
    if total <= 0:
        raise ValueError("counts hold no shots")
    return p / total


def ideal_distribution(state: Statevector) -> NDArray[np.float64]:
    """Ideal distribution q = |⟨x|ψ⟩|² over the 2ⁿ outcomes of a pure state."""
    return np.asarray(state.probabilities(), dtype=np.float64)


def gamma(p: ArrayLike, q: ArrayLike) -> float:
    """Γ, how far a run's outcomes stray from the ideal: total-variation distance.

    Γ = ½ Σₓ |p(x) − q(x)| over all 2ⁿ outcomes x. Range [0, 1]; 0 when the
    measured distribution equals the ideal one; lower is more stable.
    """
    p_arr, q_arr = _same_length(p, q)
    return float(_gamma_rows(p_arr[None], q_arr[None])[0])


@lru_cache(maxsize=32)
def hamming_weights(num_qubits: int) -> NDArray[np.int64]:
    """Number of ones in each outcome index 0 … 2ⁿ − 1 (read-only)."""
    index = np.arange(1 << num_qubits, dtype=np.int64)
    weights = np.zeros_like(index)
    for bit in range(num_qubits):
        weights += (index >> bit) & 1
    weights.flags.writeable = False  # cached and shared
    return weights


def w2(p: ArrayLike, q: ArrayLike, num_qubits: int) -> float:
    """W₂, how far the run's Hamming weights are moved from the ideal ones.

    W₂ = W2(P_H, Q_H) / n, where P_H and Q_H are the distributions of the
    Hamming weight (number of qubits measured 1) under p and q, and W2 is the
    exact Wasserstein-2 distance on the real line, from the quantile functions
    as in `actors.w2.wasserstein2`.
    Range [0, 1]: Hamming weights lie in [0, n], so W2 ≤ n.
    """
    p_arr, q_arr = _same_length(p, q)
    if p_arr.size != 1 << num_qubits:
        raise ValueError(f"distributions have {p_arr.size} outcomes, {num_qubits} qubits have {1 << num_qubits}")
    if num_qubits < 1:
        raise ValueError("W₂ needs at least one qubit")
    return float(_w2_rows(p_arr[None], q_arr[None], num_qubits)[0])


def coherence(state: Statevector) -> float:
    """C, the normalised l1-norm of coherence of a pure state in the computational basis.

    C = Σ_{i≠j} |ρᵢⱼ| / (2ⁿ − 1) with ρ = |ψ⟩⟨ψ|. For a pure state
    Σ_{i≠j} |ψᵢ||ψⱼ| = (Σᵢ |ψᵢ|)² − 1, so no 2ⁿ × 2ⁿ matrix is formed.
    Range [0, 1]: 0 for a basis state, 1 for the uniform superposition.
    """
    return float(_coherence_rows(np.asarray(state.data)[None])[0])


def lam(state: Statevector) -> float:
    """Λ (lambda), the coherence of the ideal final state scaled by ΛΦ.

    Λ = ΛΦ × C with ΛΦ = 2.176435 × 10⁻⁸ s⁻¹ and C = `coherence(state)`.
    Range [0, ΛΦ] in s⁻¹.
    """
    return LAMBDA_PHI * coherence(state)


def phi(p: ArrayLike, num_qubits: int) -> float:
    """Φ, an integrated-information proxy: the weakest link between two groups of qubits.

    Φ = min over bipartitions (A, B) of the qubits into two non-empty parts of
    the mutual information I(A:B) = H(A) + H(B) − H(AB) in bits, computed from
    the measured distribution p, capped at 1. Range [0, 1]: 0 for a product
    state (some split shares nothing), 1 for GHZ (every split shares one bit).
    A single qubit has no bipartition, so its Φ is 0. (A part holding one
    qubit never shares more than one bit, so the cap only absorbs rounding.)

    Up to seven qubits every bipartition is enumerated. Beyond, the fact
    that I(A : V∖A) is a symmetric submodular function of A (entropy is
    submodular) lets Queyranne's algorithm find the same exact minimum with
    O(n³) entropy evaluations instead of 2ⁿ⁻¹ − 1 bipartitions.
    """
    p_arr = np.asarray(p, dtype=np.float64).ravel()
    if p_arr.size != 1 << num_qubits:
        raise ValueError(f"distribution has {p_arr.size} outcomes, {num_qubits} qubits have {1 << num_qubits}")
    return float(_phi_rows(p_arr[None], num_qubits)[0])


def metrics(counts: Mapping[str, int], state: Statevector) -> Metrics:
    """All four metrics of one run, from its counts and its ideal final state."""
    p = outcome_distribution(counts, state.num_qubits)
    return metric_rows(p[None], np.asarray(state.data)[None])[0]


def metric_rows(p: NDArray[np.float64], states: NDArray[np.complex128]) -> list[Metrics]:
    """The four metrics of many runs of n-qubit circuits at once, computed as array operations.

    Row i of `p` (shape (runs, 2ⁿ)) is run i's measured distribution, row i
    of `states` its circuit's ideal final statevector; each metric is exactly
    as for a single run (`gamma`, `w2`, `phi`, `lam`).
    """
    if p.shape != states.shape or p.ndim != 2:
        raise ValueError(f"distributions {p.shape} and states {states.shape} must both be (runs, 2ⁿ)")
    num_qubits = p.shape[1].bit_length() - 1
    if p.shape[1] != 1 << num_qubits:
        raise ValueError(f"rows have {p.shape[1]} outcomes, not a power of two")
    q = np.square(np.abs(states))
    phis = _phi_rows(p, num_qubits)
    gammas = _gamma_rows(p, q)
    lams = LAMBDA_PHI * _coherence_rows(states)
    w2s = _w2_rows(p, q, num_qubits) if num_qubits else np.zeros(len(p))
    return [
        Metrics(phi=float(f), gamma=float(g), lam=float(c), w2=float(w))
        for f, g, c, w in zip(phis, gammas, lams, w2s, strict=True)
    ]


def _gamma_rows(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.minimum(1.0, 0.5 * np.abs(p - q).sum(axis=1))


def _hamming_rows(p: NDArray[np.float64], num_qubits: int) -> NDArray[np.float64]:
    """Each row's distribution of the Hamming weight 0 … n, normalised."""
    weights = hamming_weights(num_qubits)
    by_weight = np.stack([p[:, weights == h].sum(axis=1) for h in range(num_qubits + 1)], axis=1)
    return by_weight / by_weight.sum(axis=1, keepdims=True)


def _w2_rows(p: NDArray[np.float64], q: NDArray[np.float64], num_qubits: int) -> NDArray[np.float64]:
    """W₂ of each row pair: exact W2 of the Hamming-weight distributions (`actors.w2`'s method), / n.

    Both distributions live on the levels 0 … n. On each interval between
    consecutive jumps of either cumulative distribution, both quantile
    functions are constant: the first level whose cumulative probability
    reaches the interval's upper end.
    """
    cumulative_p = np.cumsum(_hamming_rows(p, num_qubits), axis=1)
    cumulative_q = np.cumsum(_hamming_rows(q, num_qubits), axis=1)
    cumulative_p[:, -1] = cumulative_q[:, -1] = 1.0  # both quantile functions end at exactly 1
    cuts = np.sort(np.concatenate([cumulative_p, cumulative_q], axis=1), axis=1)
    widths = np.diff(cuts, axis=1, prepend=0.0)
    quantile_p = np.minimum((cumulative_p[:, None, :] < cuts[:, :, None]).sum(axis=2), num_qubits)
    quantile_q = np.minimum((cumulative_q[:, None, :] < cuts[:, :, None]).sum(axis=2), num_qubits)
    return np.sqrt(np.sum(widths * (quantile_p - quantile_q) ** 2.0, axis=1)) / num_qubits


def _coherence_rows(states: NDArray[np.complex128]) -> NDArray[np.float64]:
    amplitudes = np.abs(states)
    dimension = amplitudes.shape[1]
    if dimension < 2:
        return np.zeros(len(states))
    off_diagonal = amplitudes.sum(axis=1) ** 2 - np.square(amplitudes).sum(axis=1)
    return np.clip(off_diagonal / (dimension - 1), 0.0, 1.0)


def _phi_rows(p: NDArray[np.float64], num_qubits: int) -> NDArray[np.float64]:
    if num_qubits < 2:
        return np.zeros(len(p))
    if num_qubits <= _ENUMERATE_UP_TO:
        smallest = _smallest_information_by_enumeration(p, num_qubits)
    else:
        smallest = np.array([_MutualInformation(row, num_qubits).minimum_bipartition() for row in p])
    return np.clip(smallest, 0.0, PHI_CAP)


def _smallest_information_by_enumeration(p: NDArray[np.float64], num_qubits: int) -> NDArray[np.float64]:
    """min over every bipartition (A, V∖A) of I(A : V∖A), for each row, from all marginal entropies."""
    masks = (1 << num_qubits) - 1  # every non-empty subset of the qubits is a mask 1 … 2ⁿ − 1
    marginalise, _ = _marginalisation(num_qubits)
    rows_per_chunk = max(1, _ENUMERATION_ENTRIES // marginalise.shape[1])
    entropies = np.concatenate(
        [
            _marginal_entropies(p[start : start + rows_per_chunk], num_qubits)
            for start in range(0, len(p), rows_per_chunk)
        ]
    )
    # Parts that leave out the last qubit name each bipartition exactly once; column m − 1 is mask m.
    parts = np.arange(1, 1 << (num_qubits - 1))
    informations = entropies[:, parts - 1] + entropies[:, (masks & ~parts) - 1] - entropies[:, [masks - 1]]
    return informations.min(axis=1)


def _marginal_entropies(p: NDArray[np.float64], num_qubits: int) -> NDArray[np.float64]:
    """Shannon entropy in bits of every row's marginal on every qubit mask: shape (rows, 2ⁿ − 1)."""
    marginalise, starts = _marginalisation(num_qubits)
    marginals = p @ marginalise
    logs = np.log2(marginals, out=np.zeros_like(marginals), where=marginals > 0)
    return -np.add.reduceat(marginals * logs, starts, axis=1)


@lru_cache(maxsize=_ENUMERATE_UP_TO + 1)
def _marginalisation(num_qubits: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The 0/1 matrix taking a distribution to all its marginals side by side, and where each starts.

    The marginal on a mask m of k qubits has 2ᵏ outcomes, so the marginals of
    all 2ⁿ − 1 masks take 3ⁿ − 1 columns; outcome x adds to column
    (start of m) + (x's bits at m's qubits).
    """
    size = 1 << num_qubits
    outcomes = np.arange(size)
    matrix = np.zeros((size, 3**num_qubits - 1))
    starts = np.zeros(size - 1, dtype=np.int64)
    start = 0
    for mask in range(1, size):
        qubits = [q for q in range(num_qubits) if (mask >> q) & 1]
        compact = sum(((outcomes >> q) & 1) << k for k, q in enumerate(qubits))
        matrix[outcomes, start + compact] = 1.0
        starts[mask - 1] = start
        start += 1 << len(qubits)
    matrix.flags.writeable = starts.flags.writeable = False  # cached and shared
    return matrix, starts


def _same_length(p: ArrayLike, q: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p_arr = np.asarray(p, dtype=np.float64).ravel()
    q_arr = np.asarray(q, dtype=np.float64).ravel()
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"distributions have {p_arr.size} and {q_arr.size} outcomes")
    return p_arr, q_arr


class _MutualInformation:
    """I(A : V∖A) of one distribution for qubit subsets given as bit masks, memoised."""

    def __init__(self, p: NDArray[np.float64], num_qubits: int) -> None:
        # Only outcomes that occurred matter; a run has at most `shots` of them.
        self._outcomes = np.flatnonzero(p)
        self._probabilities = p[self._outcomes]
        self._all = (1 << num_qubits) - 1
        self._num_qubits = num_qubits
        self._entropies: dict[int, float] = {}
        self._joint = self._entropy(self._all)

    def _entropy(self, mask: int) -> float:
        """Shannon entropy in bits of the marginal on the qubits in `mask`."""
        known = self._entropies.get(mask)
        if known is not None:
            return known
        # Masked outcome indices stay below 2ⁿ, so a bincount groups them without sorting.
        marginal = np.bincount(self._outcomes & mask, weights=self._probabilities)
        marginal = marginal[marginal > 0]
        value = float(-(marginal * np.log2(marginal)).sum())
        self._entropies[mask] = value
        return value

    def __call__(self, mask: int) -> float:
        return self._entropy(mask) + self._entropy(self._all & ~mask) - self._joint

    def minimum_bipartition(self) -> float:
        """Queyranne's algorithm: min of I(A : V∖A) over non-empty proper subsets A."""
        # Each element is a group of original qubits (a mask); groups merge as pendent pairs are found.
        elements = [1 << k for k in range(self._num_qubits)]
        best = float("inf")
        while len(elements) > 1:
            order = self._maximum_adjacency_order(elements)
            last, before_last = order[-1], order[-2]
            # The last element of the ordering is a minimiser among sets separating it from the one before.
            best = min(best, self(last))
            elements = [e for e in elements if e not in (last, before_last)] + [last | before_last]
        return best

    def _maximum_adjacency_order(self, elements: list[int]) -> list[int]:
        """Order elements so each next one minimises f(W ∪ {u}) − f({u}) given the prefix W."""
        order = [elements[0]]
        prefix = elements[0]
        remaining = elements[1:]
        while remaining:
            chosen = min(remaining, key=lambda u: self(prefix | u) - self(u))
            order.append(chosen)
            prefix |= chosen
            remaining.remove(chosen)
        return order
