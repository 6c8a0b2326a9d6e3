"""The curated customer-service set: French and English contact-centre messages.

`customer_service.jsonl` (written for this project; telecom and e-commerce) labels each
message with a taxonomy label, an intensity band, an effort band and the flags that apply.
The French and English halves are parallel (the same situations written in each language),
which makes the cross-lingual gap of a reader visible.

The scorer reports, overall and per language: label accuracy and macro-F1 (for the full
fast reader and for the classifier alone, without cue rules), intensity-band and
effort-band accuracy, and precision/recall/F1 of each flag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from agents.core.emotion import LABELS, Band, EmotionReading
from agents.core.lang import Lang
from agents.emotion.fast import FastReader
from agents.emotion.metrics import ClassReport, f1_of, single_label_report

FLAG_NAMES = ("asks_for_human", "threatens_to_leave", "legal_threat", "vulnerable_situation")


@dataclass(frozen=True)
class CuratedMessage:
    id: str
    lang: Lang
    domain: str
    text: str
    label: str
    intensity: Band
    effort: Band
    flags: frozenset[str]


def default_set_path() -> Path:
    return Path(str(resources.files("evals.emotion").joinpath("customer_service.jsonl")))


def load_curated(path: Path | None = None) -> list[CuratedMessage]:
    """The curated messages (default: the set shipped in `evals/emotion`)."""
    rows = []
    source = path or default_set_path()
    for number, line in enumerate(source.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw["label"] not in LABELS:
            raise ValueError(f"{source}:{number}: unknown label {raw['label']!r}")
        unknown = set(raw["flags"]) - set(FLAG_NAMES)
        if unknown:
            raise ValueError(f"{source}:{number}: unknown flags {sorted(unknown)}")
        rows.append(
            CuratedMessage(
                raw["id"],
                raw["lang"],
                raw["domain"],
                raw["text"],
                raw["label"],
                raw["intensity"],
                raw["effort"],
                frozenset(raw["flags"]),
            )
        )
    return rows


@dataclass(frozen=True)
class CuratedScores:
    """Scores of one reader on one subset (all messages, or one language)."""

    subset: str
    messages: int
    label_accuracy: float
    label_macro_f1: float
    classifier_only_accuracy: float
    classifier_only_macro_f1: float
    intensity_band_accuracy: float
    effort_band_accuracy: float
    flags: dict[str, ClassReport] = field(default_factory=dict)
    per_label: list[ClassReport] = field(default_factory=list)


def score_curated(
    messages: Sequence[CuratedMessage],
    readings: Sequence[EmotionReading],
    classifier_labels: Sequence[str],
) -> list[CuratedScores]:
    """Scores overall and per language; `classifier_labels` are the classifier's top labels."""
    subsets: list[tuple[str, list[int]]] = [("all", list(range(len(messages))))]
    for lang in ("fr", "en"):
        subsets.append((lang, [i for i, m in enumerate(messages) if m.lang == lang]))
    results = []
    for name, rows in subsets:
        if not rows:
            continue
        gold = [messages[i].label for i in rows]
        predicted = [readings[i].label for i in rows]
        plain = [classifier_labels[i] for i in rows]
        full = single_label_report(list(LABELS), gold, predicted)
        alone = single_label_report(list(LABELS), gold, plain)
        flags = {}
        for flag in FLAG_NAMES:
            tp = sum(flag in messages[i].flags and getattr(readings[i].flags, flag) for i in rows)
            fp = sum(
                flag not in messages[i].flags and getattr(readings[i].flags, flag) for i in rows
            )
            fn = sum(
                flag in messages[i].flags and not getattr(readings[i].flags, flag) for i in rows
            )
            precision, recall, f1 = f1_of(tp, fp, fn)
            support = sum(flag in messages[i].flags for i in rows)
            flags[flag] = ClassReport(flag, precision, recall, f1, support)
        results.append(
            CuratedScores(
                subset=name,
                messages=len(rows),
                label_accuracy=_share(gold, predicted),
                label_macro_f1=full.macro_f1,
                classifier_only_accuracy=_share(gold, plain),
                classifier_only_macro_f1=alone.macro_f1,
                intensity_band_accuracy=_share(
                    [messages[i].intensity for i in rows],
                    [readings[i].intensity_band for i in rows],
                ),
                effort_band_accuracy=_share(
                    [messages[i].effort for i in rows], [readings[i].effort_band for i in rows]
                ),
                flags=flags,
                per_label=full.classes,
            )
        )
    return results


def _share(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def classifier_labels(reader: FastReader, texts: list[str]) -> list[str]:
    """The classifier's top label alone (prior-corrected, no cue rules, no lexicon)."""
    head = reader.classifier.head("taxonomy")
    probabilities = head.prior_corrected(head.probabilities(reader.embedder.embed(texts)))
    return [head.labels[int(i)] for i in probabilities.argmax(axis=1)]
