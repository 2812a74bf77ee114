"""Feature hashing: weighted text features into a fixed-size unit vector, with no model and no network."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray


def feature_vector(features: Iterable[tuple[str, float]], dimension: int) -> NDArray[np.float32]:
    """The L2-normalised vector of weighted features hashed into `dimension` signed coordinates.

    Each feature lands on one coordinate chosen by its BLAKE2b digest, with a
    sign from the digest too, so colliding features cancel on average instead
    of piling up. A text with no features gives all zeros.
    """
    row = np.zeros(dimension, dtype=np.float32)
    for feature, weight in features:
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        row[(digest >> 1) % dimension] += weight if digest & 1 else -weight
    norm = float(np.linalg.norm(row))
    return row / norm if norm else row
