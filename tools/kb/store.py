"""Where chunks live: a Chroma collection, embedded on disk by default or on a Chroma server.

Ressenti always computes embeddings itself (through `tools.embeddings`) and hands vectors to
Chroma; the collection is still given an explicit embedding function (the adapter below), so
Chroma never falls back to its default one, which downloads a model at run time. Telemetry is
off. One collection per embedder: vectors of different models never mix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

from agents.core.config import Settings
from agents.core.secrets import mask_url
from tools.embeddings import Embedder, get_embedder


class StoreError(RuntimeError):
    """The vector store cannot be reached or opened."""


@register_embedding_function
class ChromaEmbeddingAdapter(EmbeddingFunction[Documents]):
    """Chroma's embedding-function interface over a Ressenti `Embedder`.

    Chroma stores `get_config()` with the collection and rebuilds the function from it; the
    rebuilt adapter resolves its embedder by name on first use only, so reading a collection
    never loads (or fails on) a model it does not need.
    """

    def __init__(self, embedder: Embedder | None = None, *, embedder_name: str = "") -> None:
        self._embedder = embedder
        self._embedder_name = embedder.name if embedder is not None else embedder_name

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self._embedder_name)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed(list(input), kind="passage"))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed(list(input), kind="query"))

    @staticmethod
    def name() -> str:
        return "ressenti"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder_name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingAdapter:
        return ChromaEmbeddingAdapter(embedder_name=str(config["embedder"]))


def chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)


def open_client(settings: Settings) -> ClientAPI:
    """An HTTP client when `chroma_url` is set, else the persistent store under `data_dir`."""
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(
                f"chroma_url must look like http://host:port, not {mask_url(settings.chroma_url)!r}"
            )
        https = url.scheme == "https"
        port = url.port or (443 if https else 8000)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port, ssl=https, settings=chroma_settings()
            )
        except Exception as exc:  # chromadb raises plain exceptions on connection failures
            raise StoreError(
                f"cannot reach the Chroma server at {mask_url(settings.chroma_url)}: {exc}"
            ) from exc
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def collection_name(prefix: str, embedder_name: str) -> str:
    """A valid Chroma name (3–512 of `[A-Za-z0-9._-]`, alphanumeric ends) for this embedder."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{prefix}-{embedder_name}").strip("-._")
    if len(readable) > 60 or readable != f"{prefix}-{embedder_name}":
        digest = hashlib.sha256(embedder_name.encode()).hexdigest()[:8]
        readable = f"{readable[:50].rstrip('-._')}-{digest}"
    return readable


def open_collection(client: ClientAPI, prefix: str, embedder: Embedder) -> Collection:
    return client.get_or_create_collection(
        name=collection_name(prefix, embedder.name),
        embedding_function=ChromaEmbeddingAdapter(embedder),  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedder": embedder.name, "dim": embedder.dim},
    )


def all_ids(collection: Collection, page: int = 5000) -> Iterator[str]:
    """Every id in the collection, paged so a large collection is not loaded in one call."""
    offset = 0
    while True:
        batch = collection.get(include=[], limit=page, offset=offset)["ids"]
        yield from batch
        if len(batch) < page:
            return
        offset += page
