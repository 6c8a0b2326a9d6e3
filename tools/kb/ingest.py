"""Ingest a folder of documents into the collection, so that the index mirrors the folder.

Idempotent by construction: chunk ids are content hashes, so only chunks whose id is not yet in
the collection are embedded and added, and ids no longer produced by the folder (removed
documents, removed or changed chunks) are deleted. Re-running on an unchanged folder embeds
nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api.models.Collection import Collection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tools.embeddings import Embedder
from tools.kb.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_document
from tools.kb.documents import SkippedFile, load_folder
from tools.kb.store import all_ids

EMBED_BATCH = 32
"""Chunks embedded per call: large enough for the embedders' batching, small enough for the bar."""


class EmptySourceError(ValueError):
    """The folder holds no usable document while the index is not empty."""


@dataclass
class IngestReport:
    """What an ingest did; printed by `ressenti kb ingest`."""

    folder: str
    documents: int = 0
    chunks: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0


def _add(
    collection: Collection,
    embedder: Embedder,
    chunks: Sequence[Chunk],
    progress: Progress | None,
) -> None:
    task = progress.add_task("Embedding", total=len(chunks)) if progress else None
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        vectors = embedder.embed([chunk.embedded_text for chunk in batch], kind="passage")
        collection.upsert(
            ids=[chunk.chunk_id for chunk in batch],
            embeddings=vectors,
            documents=[chunk.text for chunk in batch],
            metadatas=[chunk.metadata for chunk in batch],
        )
        if progress is not None and task is not None:
            progress.advance(task, len(batch))


def sync_chunks(
    collection: Collection,
    embedder: Embedder,
    chunks: Sequence[Chunk],
    *,
    show_progress: bool = False,
) -> tuple[int, int, int]:
    """Make the collection hold exactly `chunks`: (added, unchanged, removed)."""
    wanted = {chunk.chunk_id: chunk for chunk in chunks}
    existing = set(all_ids(collection))
    to_add = [chunk for chunk_id, chunk in wanted.items() if chunk_id not in existing]
    to_remove = sorted(existing - wanted.keys())
    if to_add:
        if show_progress:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=Console(stderr=True)) as progress:
                _add(collection, embedder, to_add, progress)
        else:
            _add(collection, embedder, to_add, None)
    for start in range(0, len(to_remove), 1000):
        collection.delete(ids=to_remove[start : start + 1000])
    return len(to_add), len(wanted) - len(to_add), len(to_remove)


def ingest_folder(
    folder: Path,
    collection: Collection,
    embedder: Embedder,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    show_progress: bool = False,
) -> IngestReport:
    """Read `folder`, chunk its documents and sync the collection with them."""
    began = time.perf_counter()
    if not folder.exists():
        raise FileNotFoundError(f"no such file or folder: {folder}")
    loaded = load_folder(folder)
    if not loaded.documents and collection.count() > 0:
        # Syncing with nothing would empty the index: far more often a wrong path than a wish.
        raise EmptySourceError(
            f"no usable document in {folder} ({len(loaded.skipped)} skipped); "
            "the index was left as it was"
        )
    chunks = [
        chunk
        for document in loaded.documents
        for chunk in chunk_document(document, embedder.name, max_chars)
    ]
    added, unchanged, removed = sync_chunks(
        collection, embedder, chunks, show_progress=show_progress
    )
    return IngestReport(
        folder=str(folder),
        documents=len(loaded.documents),
        chunks=len(chunks),
        added=added,
        unchanged=unchanged,
        removed=removed,
        skipped=loaded.skipped,
        seconds=time.perf_counter() - began,
    )
