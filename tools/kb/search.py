"""Searching the knowledge base: cited passages with a similarity score and a confidence flag."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chromadb.api.models.Collection import Collection

from agents.core.config import Settings
from tools.embeddings import Embedder, get_embedder
from tools.kb.ingest import IngestReport, ingest_folder
from tools.kb.store import open_client, open_collection


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk, with what a reply needs to cite it."""

    citation: str
    """`doc-id#section-slug`: stable while the document's headings do not change."""
    doc_id: str
    title: str
    section: str
    lang: str
    version: str
    updated: str
    text: str
    score: float
    """Cosine similarity clipped to [0, 1]: 1 is the same meaning."""


@dataclass(frozen=True)
class RetrievalResult:
    query: str
    passages: tuple[Passage, ...]
    min_score: float
    """The threshold `confident` was judged against."""

    @property
    def confident(self) -> bool:
        """True when the best passage reaches `min_score`: below it, nothing answers well."""
        return bool(self.passages) and self.passages[0].score >= self.min_score

    @property
    def top_score(self) -> float:
        return self.passages[0].score if self.passages else 0.0


class KnowledgeSearch(Protocol):
    """What a graph needs of the knowledge base: a search (`KnowledgeBase` is one; tests
    use in-memory ones)."""

    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult: ...


def _score(distance: float) -> float:
    """Chroma's cosine distance (1 - cosine) as a similarity in [0, 1]."""
    return min(1.0, max(0.0, 1.0 - float(distance)))


class KnowledgeBase:
    """The demo company's documents in one Chroma collection, searched with one embedder."""

    def __init__(
        self,
        collection: Collection,
        embedder: Embedder,
        *,
        min_score: float,
        top_k: int = 5,
    ) -> None:
        self.collection = collection
        self.embedder = embedder
        self.min_score = min_score
        self.top_k = top_k

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
        """The knowledge base that `settings` point at (embedded store or Chroma server)."""
        embedder = embedder or get_embedder(settings.embedder)
        collection = open_collection(open_client(settings), settings.kb_collection, embedder)
        return cls(
            collection,
            embedder,
            min_score=settings.retrieval_min_score,
            top_k=settings.retrieval_top_k,
        )

    def ingest(self, folder: Path, *, show_progress: bool = False) -> IngestReport:
        return ingest_folder(folder, self.collection, self.embedder, show_progress=show_progress)

    def count(self) -> int:
        return int(self.collection.count())

    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        """The `k` passages closest to `query`, optionally only in language `lang` (`fr`, `en`)."""
        k = k or self.top_k
        if not query.strip() or self.collection.count() == 0:
            return RetrievalResult(query, (), self.min_score)
        vector = self.embedder.embed([query], kind="query")
        found = self.collection.query(
            query_embeddings=vector,
            n_results=k,
            where={"lang": lang.lower()} if lang else None,
            include=["documents", "metadatas", "distances"],
        )
        documents = (found["documents"] or [[]])[0]
        metadatas = (found["metadatas"] or [[]])[0]
        distances = (found["distances"] or [[]])[0]
        passages = tuple(
            Passage(
                citation=str(meta["citation"]),
                doc_id=str(meta["doc_id"]),
                title=str(meta["title"]),
                section=str(meta["section"]),
                lang=str(meta["lang"]),
                version=str(meta.get("version", "")),
                updated=str(meta.get("updated", "")),
                text=text or "",
                score=round(_score(distance), 4),
            )
            for text, meta, distance in zip(documents, metadatas, distances, strict=True)
        )
        return RetrievalResult(query, passages, self.min_score)
