"""Cutting documents into retrievable chunks that follow their headings.

A chunk is one section, or a part of a long section cut between paragraphs. Its citation id
is `doc-id#section-slug` (with `-2`, `-3`… for repeated headings and `~2`, `~3`… for later
parts of a long section), stable as long as the headings do not change. Its store id is a
hash of everything that goes into the index (embedder, citation, text, metadata): an unchanged
chunk keeps its id, so a re-ingest can skip it, and any change yields a new id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from tools.kb.documents import Section, SourceDocument, slugify

DEFAULT_MAX_CHARS = 1200
"""Longest chunk body before a section is cut between paragraphs (about 250–300 tokens)."""


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    """Content hash: the id in the vector store."""
    citation: str
    """Stable reference shown to agents and customers' reviewers: `doc-id#section-slug`."""
    text: str
    """The passage as shown in a citation."""
    embedded_text: str
    """What is embedded: title and heading trail, then the passage."""
    metadata: dict[str, str | int]


def _pieces(section: Section, max_chars: int) -> list[str]:
    """Paragraphs packed greedily into pieces of at most `max_chars` (a longer paragraph alone)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in section.paragraphs:
        if current and size + len(paragraph) + 2 > max_chars:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(paragraph)
        size += len(paragraph) + 2
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def content_id(
    embedder_name: str, citation: str, embedded: str, metadata: dict[str, str | int]
) -> str:
    payload = json.dumps(
        [embedder_name, citation, embedded, sorted(metadata.items())], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def chunk_document(
    document: SourceDocument, embedder_name: str, max_chars: int = DEFAULT_MAX_CHARS
) -> list[Chunk]:
    meta = document.meta
    chunks: list[Chunk] = []
    used_slugs: dict[str, int] = {}
    for section in document.sections:
        base = slugify(section.heading or meta.title)
        used_slugs[base] = used_slugs.get(base, 0) + 1
        slug = base if used_slugs[base] == 1 else f"{base}-{used_slugs[base]}"
        # The document title is usually the top heading: do not repeat it in the trail.
        trail = [h for h in section.trail if h != meta.title] or [meta.title]
        section_path = " > ".join(trail)
        for part, piece in enumerate(_pieces(section, max_chars), start=1):
            citation = f"{meta.doc_id}#{slug}" if part == 1 else f"{meta.doc_id}#{slug}~{part}"
            embedded = f"{meta.title} — {section_path}\n\n{piece}"
            metadata: dict[str, str | int] = {
                "doc_id": meta.doc_id,
                "citation": citation,
                "title": meta.title,
                "section": section_path,
                "lang": meta.lang,
                "version": meta.version,
                "updated": meta.updated,
                "topic": meta.topic,
                "source": meta.source,
                "part": part,
            }
            chunks.append(
                Chunk(
                    chunk_id=content_id(embedder_name, citation, embedded, metadata),
                    citation=citation,
                    text=piece,
                    embedded_text=embedded,
                    metadata=metadata,
                )
            )
    return chunks
