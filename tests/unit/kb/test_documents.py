"""Reading documents: headings make sections, each format gives metadata, bad files are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from knowledge import KNOWLEDGE_DIR
from tools.kb.documents import (
    DocumentError,
    load_document,
    load_folder,
    read_front_matter,
    sections_from_markdown,
    slugify,
)


def test_markdown_sections_follow_headings_and_ignore_fenced_hashes() -> None:
    text = (
        "# Title\n\nintro\n\n## A\n\none\n\ntwo\n\n```\n# not a heading\n```\n\n### A.1\n\nthree\n"
    )
    title, sections = sections_from_markdown(text)
    assert title == "Title"
    assert [s.trail for s in sections] == [("Title",), ("Title", "A"), ("Title", "A", "A.1")]
    assert sections[1].paragraphs == ("one", "two", "```\n# not a heading\n```")
    assert sections[2].paragraphs == ("three",)


def test_front_matter_gives_the_metadata(docs_dir: Path) -> None:
    document = load_document(docs_dir / "refunds.md")
    meta = document.meta
    assert (meta.doc_id, meta.title, meta.lang, meta.version) == ("refunds", "Refunds", "en", "1.0")
    assert (meta.updated, meta.topic, meta.source) == ("2026-01-15", "refunds", "refunds.md")
    assert [s.heading for s in document.sections] == ["Refunds", "Delays", "Vouchers"]


def test_plain_text_with_underlined_headings(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Big title\n=========\n\nfirst\n\nPart two\n--------\n\nsecond\n", "utf-8")
    document = load_document(path)
    assert document.meta.doc_id == "note"
    assert document.meta.title == "Big title"
    assert [(s.heading, s.paragraphs) for s in document.sections] == [
        ("Big title", ("first",)),
        ("Part two", ("second",)),
    ]


def test_html_headings_lists_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html lang="fr"><head><title>Données</title><meta name="id" content="rgpd">'
        '<meta name="version" content="3"><meta name="updated" content="2026-03-01">'
        "<style>h2 {color: red}</style></head><body><h1>Données</h1><p>Bonjour &amp; bienvenue.</p>"
        "<h2>Droits</h2><ul><li>accès</li><li>effacement</li></ul><script>var x = 1;</script>"
        "</body></html>",
        "utf-8",
    )
    document = load_document(path)
    assert (document.meta.doc_id, document.meta.lang, document.meta.title) == (
        "rgpd",
        "fr",
        "Données",
    )
    assert (document.meta.version, document.meta.updated) == ("3", "2026-03-01")
    assert [(s.heading, s.paragraphs) for s in document.sections] == [
        ("Données", ("Bonjour & bienvenue.",)),
        ("Droits", ("- accès\n- effacement",)),
    ]


def write_pdf(path: Path, pages: list[str], **info: str) -> None:
    """A small text PDF written with pypdf (Helvetica, one text line per page)."""
    writer = PdfWriter()
    for line in pages:
        page = writer.add_blank_page(width=612, height=792)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({f"/{key}": value for key, value in info.items()})
    with path.open("wb") as handle:
        writer.write(handle)


def test_pdf_pages_become_sections_with_info_metadata(tmp_path: Path) -> None:
    path = tmp_path / "tarifs.pdf"
    write_pdf(
        path,
        ["Roaming costs 10 euros per 100 MB.", "The eSIM is free."],
        Title="Price list",
        DocId="price-list",
        Version="7",
        Updated="2026-05-05",
    )
    document = load_document(path)
    assert (document.meta.doc_id, document.meta.title, document.meta.version) == (
        "price-list",
        "Price list",
        "7",
    )
    assert [s.heading for s in document.sections] == ["Page 1", "Page 2"]
    assert "10 euros per 100 MB" in document.sections[0].paragraphs[0]
    assert "eSIM is free" in document.sections[1].paragraphs[0]


def test_folder_report_lists_each_skipped_file_with_its_reason(docs_dir: Path) -> None:
    (docs_dir / "contract.docx").write_bytes(b"PK\x03\x04")
    (docs_dir / "empty.md").write_text("", "utf-8")
    (docs_dir / "latin1.txt").write_bytes("Résiliation".encode("latin-1"))
    (docs_dir / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    (docs_dir / "bad-front.md").write_text("---\ntitle: [unclosed\n---\n# X\n\ntext\n", "utf-8")
    (docs_dir / "twin.md").write_text("---\nid: refunds\n---\n# Twin\n\ntext\n", "utf-8")
    (docs_dir / "only-headings.md").write_text("# A\n## B\n", "utf-8")
    (docs_dir / "_draft.md").write_text("# Draft\n\nnot ready\n", "utf-8")

    loaded = load_folder(docs_dir)

    assert sorted(d.meta.doc_id for d in loaded.documents) == ["livraison", "refunds"]
    reasons = {skipped.path: skipped.reason for skipped in loaded.skipped}
    assert set(reasons) == {
        "contract.docx",
        "empty.md",
        "latin1.txt",
        "broken.pdf",
        "bad-front.md",
        "twin.md",
        "only-headings.md",
    }
    assert "unsupported file type '.docx'" in reasons["contract.docx"]
    assert reasons["empty.md"] == "empty file"
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "unreadable PDF" in reasons["broken.pdf"]
    assert "front matter" in reasons["bad-front.md"]
    assert "duplicate document id 'refunds'" in reasons["twin.md"]
    assert "no text" in reasons["only-headings.md"]


def test_load_document_rejects_an_unsafe_id(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nid: ../etc\n---\n# X\n\ntext\n", "utf-8")
    with pytest.raises(DocumentError, match="document id"):
        load_document(path)


def test_slugify_is_ascii() -> None:
    assert slugify("Barème par situation") == "bareme-par-situation"
    assert (
        slugify("Ce qu'un conseiller ne peut pas offrir")
        == "ce-qu-un-conseiller-ne-peut-pas-offrir"
    )


def test_packaged_knowledge_reads_cleanly_in_both_languages() -> None:
    loaded = load_folder(KNOWLEDGE_DIR)
    assert loaded.skipped == []
    assert len(loaded.documents) >= 12
    assert {d.meta.lang for d in loaded.documents} == {"fr", "en"}
    assert {Path(d.meta.source).suffix for d in loaded.documents} >= {".md", ".html", ".txt"}
    for document in loaded.documents:
        assert document.meta.version
        assert document.meta.updated
        assert document.meta.topic


def test_gesture_limits_in_front_matter_match_the_published_table() -> None:
    path = KNOWLEDGE_DIR / "gestes-commerciaux.md"
    limits = read_front_matter(path)["gesture_limits"]
    body = path.read_text("utf-8")
    assert limits["currency"] == "EUR"
    for case in ("delivery_delay", "lost_parcel", "billing_error", "faulty_product"):
        assert f"bon d'achat de {limits[case]['max_voucher']} €" in body
    assert f"{limits['service_outage_per_day']['max_credit']} € par jour" in body
    assert f"plafonné à {limits['service_outage_per_day']['max_credit_per_month']} €" in body
    assert f"jusqu'à {limits['agent_cumulative_per_customer_12_months']} €" in body
    assert f"au-delà de {limits['manager_above']} €" in body
    assert f"{limits['retention']['max_discount_percent']} % au plus" in body
