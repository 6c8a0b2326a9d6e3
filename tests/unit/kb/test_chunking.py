"""Chunks: one per section (long sections cut between paragraphs), stable citations, content ids."""

from __future__ import annotations

from pathlib import Path

from tools.kb.chunking import chunk_document
from tools.kb.documents import load_document


def test_one_chunk_per_section_with_citation_and_metadata(docs_dir: Path) -> None:
    chunks = chunk_document(load_document(docs_dir / "refunds.md"), "test-bow")
    assert [c.citation for c in chunks] == ["refunds#refunds", "refunds#delays", "refunds#vouchers"]
    vouchers = chunks[2]
    assert vouchers.text == "Agents may offer a voucher of ten euros for a late parcel."
    assert vouchers.embedded_text.startswith("Refunds — Delays") is False
    assert vouchers.embedded_text.startswith("Refunds — Vouchers\n\n")
    assert vouchers.metadata == {
        "doc_id": "refunds",
        "citation": "refunds#vouchers",
        "title": "Refunds",
        "section": "Vouchers",
        "lang": "en",
        "version": "1.0",
        "updated": "2026-01-15",
        "topic": "refunds",
        "source": "refunds.md",
        "part": 1,
    }


def test_long_sections_are_cut_between_paragraphs_and_repeated_headings_get_suffixes(
    tmp_path: Path,
) -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + " ".join(["word"] * 40) for i in range(6))
    path = tmp_path / "long.md"
    path.write_text(f"# Long\n\n## Notes\n\n{paragraphs}\n\n## Notes\n\nagain\n", "utf-8")
    chunks = chunk_document(load_document(path), "test-bow", max_chars=500)
    citations = [c.citation for c in chunks]
    assert citations[:2] == ["long#notes", "long#notes~2"]
    assert citations[-1] == "long#notes-2"
    assert all(len(c.text) <= 500 for c in chunks[:-1])
    body = "\n\n".join(c.text for c in chunks[:-1])
    assert body == paragraphs


def test_ids_change_with_content_metadata_and_embedder_only(docs_dir: Path) -> None:
    document = load_document(docs_dir / "refunds.md")
    first = [c.chunk_id for c in chunk_document(document, "test-bow")]
    assert first == [c.chunk_id for c in chunk_document(document, "test-bow")]
    assert len(set(first)) == len(first)
    assert set(first).isdisjoint(c.chunk_id for c in chunk_document(document, "other-model"))

    path = docs_dir / "refunds.md"
    path.write_text(path.read_text("utf-8").replace("ten euros", "twelve euros"), "utf-8")
    changed = [c.chunk_id for c in chunk_document(load_document(path), "test-bow")]
    assert changed[:2] == first[:2]
    assert changed[2] != first[2]

    path.write_text(path.read_text("utf-8").replace('version: "1.0"', 'version: "1.1"'), "utf-8")
    bumped = [c.chunk_id for c in chunk_document(load_document(path), "test-bow")]
    assert set(bumped).isdisjoint(changed)
