"""The shipped classifier on GoEmotions' test split: Ekman level and Ressenti's taxonomy.

Protocol (as in the dataset paper): a row may carry several labels; a label is predicted
when its probability reaches the threshold tuned on the dev split (and the top label always
is); macro-F1 is the mean of the per-label F1 over the test rows. The confusion matrix is
over the test rows with exactly one gold label, against the single top prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agents.emotion.classifier import EmotionClassifier
from agents.emotion.goemotions import cached_embeddings, default_cache_dir, load_split
from agents.emotion.metrics import MultiLabelReport, confusion_matrix, multilabel_report
from agents.emotion.taxonomy import map_goemotions
from agents.emotion.train import gold_matrix
from tools.embeddings import get_embedder


@dataclass(frozen=True)
class HeadEvaluation:
    """One head's scores on the test split."""

    head: str
    labels: tuple[str, ...]
    report: MultiLabelReport
    confusion: npt.NDArray[np.int64]
    single_label_rows: int


def evaluate_goemotions(
    data: Path, classifier: EmotionClassifier, cache_dir: Path | None = None
) -> list[HeadEvaluation]:
    """Both heads of `classifier` on the test split of the GoEmotions folder `data`."""
    embedder = get_embedder(classifier.embedder)
    original = load_split(data, "original", "test")
    features = cached_embeddings(
        embedder,
        original.texts,
        cache_dir or default_cache_dir(),
        f"original-test-{len(original.texts)}",
    )
    ekman = load_split(data, "ekman", "test")
    gold_by_head: dict[str, list[list[str]]] = {
        "taxonomy": [list[str](map_goemotions(row)) for row in original.labels],
        "ekman": ekman.labels,
    }
    results = []
    for name in ("ekman", "taxonomy"):
        head = classifier.head(name)
        probabilities = head.probabilities(features)
        gold_rows = gold_by_head[name]
        report = multilabel_report(
            head.labels, gold_matrix(gold_rows, head.labels), head.present(probabilities)
        )
        single = [i for i, row in enumerate(gold_rows) if len(row) == 1]
        top = probabilities.argmax(axis=1)
        matrix = confusion_matrix(
            head.labels,
            [gold_rows[i][0] for i in single],
            [head.labels[int(top[i])] for i in single],
        )
        results.append(HeadEvaluation(name, head.labels, report, matrix, len(single)))
    return results


def save_confusion_image(evaluation: HeadEvaluation, path: Path) -> None:
    """The confusion matrix as a PNG (rows: gold, columns: predicted; row-normalised colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = evaluation.confusion
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(7, 6))
    image = axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(evaluation.labels)), evaluation.labels, rotation=45, ha="right")
    axes.set_yticks(range(len(evaluation.labels)), evaluation.labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(
        f"GoEmotions test, {evaluation.head} head "
        f"(macro-F1 {evaluation.report.macro_f1:.3f}; "
        f"{evaluation.single_label_rows} single-label rows)"
    )
    for row in range(len(matrix)):
        for column in range(len(matrix)):
            axes.text(
                column,
                row,
                str(matrix[row, column]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if rates[row, column] > 0.5 else "black",
            )
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
