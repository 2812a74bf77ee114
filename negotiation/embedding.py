"""Text embedders for catalog search: an offline hashing embedder and Mistral's embeddings.

The offline embedder needs no download and no network. Its method: the text
is lower-cased and split into words (letters and digits); every word
unigram, every adjacent word pair and every character n-gram (n = 3, 4, 5)
of each word padded with spaces is hashed (BLAKE2b) to one of `dimension`
coordinates with a hashed sign, weighted (words 1.0, pairs 0.5, n-grams
0.25), and the vector is L2-normalised, so cosine similarity measures
shared words and word pieces.

Its limits: it knows spelling, not meaning. "cheap" and "budget" or "hotel"
and "accommodation" are unrelated to it unless the item text uses both words;
it does not know other languages' words for the same thing; hash collisions
add a little noise (less as `dimension` grows). Mistral embeddings
(`MISTRAL_API_KEY` set) capture meaning.
"""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from aura import feature_vector
from aura.settings import NegotiationSettings

_WORD = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    """Turns texts into unit vectors of a fixed dimension; `name` identifies the vector space."""

    name: str
    dimension: int

    async def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text, shape (len(texts), dimension)."""
        ...


def _normalise(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class HashingEmbedder:
    """Hashed word unigrams, word pairs and character n-grams; offline and deterministic."""

    def __init__(self, dimension: int = 512) -> None:
        if dimension < 16:
            raise ValueError("dimension must be at least 16")
        self.dimension = dimension
        self.name = f"hashing-v1-{dimension}"

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = _WORD.findall(text.lower())
        features: list[tuple[str, float]] = [(f"w:{w}", 1.0) for w in words]
        features += [(f"p:{a} {b}", 0.5) for a, b in zip(words, words[1:], strict=False)]
        for word in words:
            padded = f" {word} "
            for n in (3, 4, 5):
                features += [(f"c:{padded[i : i + n]}", 0.25) for i in range(len(padded) - n + 1)]
        return features

    def vector(self, text: str) -> NDArray[np.float32]:
        """The unit vector of one text (all zeros for a text with no words)."""
        return feature_vector(self._features(text), self.dimension)

    async def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit vector per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])


class MistralEmbedder:
    """Mistral's embeddings API through the official `mistralai` SDK."""

    #: mistral-embed's output size; recorded with the name so a switch re-embeds the catalog.
    DIMENSION = 1024
    _BATCH = 64

    def __init__(
        self, api_key: str, model: str = "mistral-embed", server_url: str | None = None, timeout_ms: int = 30000
    ) -> None:
        from mistralai.client import Mistral

        self._client = Mistral(api_key=api_key, server_url=server_url, timeout_ms=timeout_ms)
        self._model = model
        self.name = f"mistral:{model}"
        self.dimension = self.DIMENSION

    async def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit vector per text, requested in batches."""
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._BATCH):
            answer = await self._client.embeddings.create_async(
                model=self._model, inputs=texts[start : start + self._BATCH]
            )
            ordered = sorted(answer.data, key=lambda d: d.index or 0)
            rows += [d.embedding or [] for d in ordered]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        if matrix.shape[1] != self.dimension:
            raise ValueError(f"{self.name} returned dimension {matrix.shape[1]}, expected {self.dimension}")
        return _normalise(matrix)


def embedder_from_settings(settings: NegotiationSettings) -> Embedder:
    """Mistral embeddings when an API key is set, else the offline hashing embedder."""
    if settings.mistral_api_key is not None and settings.mistral_api_key.get_secret_value():
        return MistralEmbedder(
            settings.mistral_api_key.get_secret_value(), settings.mistral_embed_model, settings.mistral_server_url
        )
    return HashingEmbedder()
