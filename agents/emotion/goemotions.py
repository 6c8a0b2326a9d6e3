"""Reading the GoEmotions folder and caching its embeddings outside the repository.

The folder layout is the one of `/work/shared/data/goemotions` (see its SOURCE.md): one
sub-folder per label level (`original`, `ekman`, `group`), each with `labels.txt` and
`train.tsv` / `dev.tsv` / `test.tsv` (`text<TAB>label indices<TAB>comment id`). The data is
never copied into the project; only the trained weights are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from tools.embeddings import Embedder

Split = Literal["train", "dev", "test"]
Level = Literal["original", "ekman", "group"]


@dataclass(frozen=True)
class GoEmotionsSplit:
    """One split at one label level: texts and, per row, the label names."""

    texts: list[str]
    labels: list[list[str]]
    label_names: list[str]


def load_split(data_dir: Path, level: Level, split: Split) -> GoEmotionsSplit:
    """Rows of `data_dir/level/split.tsv` with label indices turned into names."""
    folder = data_dir / level
    labels_file = folder / "labels.txt"
    split_file = folder / f"{split}.tsv"
    for needed in (labels_file, split_file):
        if not needed.is_file():
            raise FileNotFoundError(
                f"{needed} not found: --data must be the GoEmotions folder holding "
                "original/, ekman/ and group/"
            )
    names = [line.strip() for line in labels_file.read_text("utf-8").splitlines() if line.strip()]
    texts: list[str] = []
    labels: list[list[str]] = []
    for number, line in enumerate(split_file.read_text("utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{split_file}:{number}: expected text<TAB>labels<TAB>id")
        texts.append(parts[0])
        labels.append([names[int(index)] for index in parts[1].split(",") if index])
    return GoEmotionsSplit(texts, labels, names)


def cached_embeddings(
    embedder: Embedder,
    texts: list[str],
    cache_dir: Path,
    tag: str,
    *,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> npt.NDArray[np.float32]:
    """Embeddings of `texts`, computed in batches once and then read from `cache_dir`.

    The cache file name carries the embedder and a hash of the texts, so a changed split or
    embedder never returns stale vectors. `progress` is called with each batch's size.
    """
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache_dir / embedder.name / f"{tag}-{digest}.npy"
    if path.is_file():
        cached = np.load(path)
        if progress is not None:
            progress(len(texts))
        return np.asarray(cached, dtype=np.float32)
    chunks: list[npt.NDArray[np.float32]] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        chunks.append(embedder.embed(batch, kind="passage"))
        if progress is not None:
            progress(len(batch))
    vectors = np.concatenate(chunks) if chunks else np.zeros((0, embedder.dim), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def default_cache_dir() -> Path:
    """Where development runs keep GoEmotions embeddings (outside the repository)."""
    return Path.home() / ".cache" / "ressenti-dev" / "emotion"
