"""Φ, Γ, Λ and W₂: defined statistics of circuit runs (DESIGN.md, "Quantum metrics").

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
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from qiskit.quantum_info import Statevector

from actors.w2 import wasserstein2

LAMBDA_PHI: Final[float] = 2.176435e-8
"""ΛΦ in s⁻¹, the constant that scales the coherence C into Λ."""

PHI_CAP: Final[float] = 1.0
"""Φ is capped at one bit, the value of every bipartition of a GHZ state."""


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
    return float(min(1.0, 0.5 * np.abs(p_arr - q_arr).sum()))


def hamming_weights(num_qubits: int) -> NDArray[np.int64]:
    """Number of ones in each outcome index 0 … 2ⁿ − 1."""
    index = np.arange(1 << num_qubits, dtype=np.int64)
    weights = np.zeros_like(index)
    for bit in range(num_qubits):
        weights += (index >> bit) & 1
    return weights


def w2(p: ArrayLike, q: ArrayLike, num_qubits: int) -> float:
    """W₂, how far the run's Hamming weights are moved from the ideal ones.

    W₂ = W2(P_H, Q_H) / n, where P_H and Q_H are the distributions of the
    Hamming weight (number of qubits measured 1) under p and q, and W2 is the
    exact Wasserstein-2 distance on the real line (`actors.w2.wasserstein2`).
    Range [0, 1]: Hamming weights lie in [0, n], so W2 ≤ n.
    """
    p_arr, q_arr = _same_length(p, q)
    if p_arr.size != 1 << num_qubits:
        raise ValueError(f"distributions have {p_arr.size} outcomes, {num_qubits} qubits have {1 << num_qubits}")
    if num_qubits < 1:
        raise ValueError("W₂ needs at least one qubit")
    levels = np.arange(num_qubits + 1, dtype=np.float64)
    weights = hamming_weights(num_qubits)
    p_h = np.bincount(weights, weights=p_arr, minlength=num_qubits + 1)
    q_h = np.bincount(weights, weights=q_arr, minlength=num_qubits + 1)
    return wasserstein2(levels, levels, p_h, q_h) / num_qubits


def coherence(state: Statevector) -> float:
    """C, the normalised l1-norm of coherence of a pure state in the computational basis.

    C = Σ_{i≠j} |ρᵢⱼ| / (2ⁿ − 1) with ρ = |ψ⟩⟨ψ|. For a pure state
    Σ_{i≠j} |ψᵢ||ψⱼ| = (Σᵢ |ψᵢ|)² − 1, so no 2ⁿ × 2ⁿ matrix is formed.
    Range [0, 1]: 0 for a basis state, 1 for the uniform superposition.
    """
    amplitudes = np.abs(np.asarray(state.data))
    dimension = amplitudes.size
    if dimension < 2:
        return 0.0
    off_diagonal = amplitudes.sum() ** 2 - np.square(amplitudes).sum()
    return float(np.clip(off_diagonal / (dimension - 1), 0.0, 1.0))


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

    I(A : V∖A) is a symmetric submodular function of A (entropy is
    submodular), so Queyranne's algorithm finds the exact minimum over all
    2ⁿ⁻¹ − 1 bipartitions with O(n³) entropy evaluations instead of
    enumerating them.
    """
    p_arr = np.asarray(p, dtype=np.float64).ravel()
    if p_arr.size != 1 << num_qubits:
        raise ValueError(f"distribution has {p_arr.size} outcomes, {num_qubits} qubits have {1 << num_qubits}")
    if num_qubits < 2:
        return 0.0
    information = _MutualInformation(p_arr, num_qubits)
    return float(min(PHI_CAP, max(0.0, information.minimum_bipartition())))


def metrics(counts: Mapping[str, int], state: Statevector) -> Metrics:
    """All four metrics of one run, from its counts and its ideal final state."""
    num_qubits = state.num_qubits
    p = outcome_distribution(counts, num_qubits)
    q = ideal_distribution(state)
    return Metrics(phi=phi(p, num_qubits), gamma=gamma(p, q), lam=lam(state), w2=w2(p, q, num_qubits))


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
