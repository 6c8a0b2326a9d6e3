"""Scores of a classifier against gold labels: per-class and macro F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class MultiLabelReport:
    """Per-class precision/recall/F1 of a multi-label prediction and their macro average."""

    classes: list[ClassReport]

    @property
    def macro_f1(self) -> float:
        return float(np.mean([c.f1 for c in self.classes])) if self.classes else 0.0


def f1_of(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def multilabel_report(
    labels: Sequence[str],
    gold: npt.NDArray[np.bool_],
    predicted: npt.NDArray[np.bool_],
) -> MultiLabelReport:
    """F1 of each label over rows (gold/predicted: boolean arrays of shape (n, labels))."""
    classes = []
    for index, label in enumerate(labels):
        g, p = gold[:, index], predicted[:, index]
        tp = int(np.sum(g & p))
        fp = int(np.sum(~g & p))
        fn = int(np.sum(g & ~p))
        precision, recall, f1 = f1_of(tp, fp, fn)
        classes.append(ClassReport(label, precision, recall, f1, int(g.sum())))
    return MultiLabelReport(classes)


def single_label_report(
    labels: Sequence[str], gold: Sequence[str], predicted: Sequence[str]
) -> MultiLabelReport:
    """F1 of each label when every row has exactly one gold and one predicted label."""
    index = {label: i for i, label in enumerate(labels)}
    g = np.zeros((len(gold), len(labels)), dtype=bool)
    p = np.zeros_like(g)
    for row, (gl, pl) in enumerate(zip(gold, predicted, strict=True)):
        g[row, index[gl]] = True
        p[row, index[pl]] = True
    return multilabel_report(list(labels), g, p)


def confusion_matrix(
    labels: Sequence[str], gold: Sequence[str], predicted: Sequence[str]
) -> npt.NDArray[np.int64]:
    """Counts[gold, predicted] for single-label rows."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g], index[p]] += 1
    return matrix


def best_thresholds(
    probabilities: npt.NDArray[np.float32], gold: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float32]:
    """Per-label threshold maximising that label's F1 (the top label is always predicted)."""
    grid = np.arange(0.05, 0.96, 0.01)
    top = np.zeros_like(gold)
    top[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
    thresholds = np.empty(gold.shape[1], dtype=np.float32)
    for index in range(gold.shape[1]):
        best, best_f1 = 0.5, -1.0
        g = gold[:, index]
        for threshold in grid:
            p = (probabilities[:, index] >= threshold) | top[:, index]
            _, _, f1 = f1_of(int(np.sum(g & p)), int(np.sum(~g & p)), int(np.sum(g & ~p)))
            if f1 > best_f1:
                best, best_f1 = float(threshold), f1
        thresholds[index] = best
    return thresholds
