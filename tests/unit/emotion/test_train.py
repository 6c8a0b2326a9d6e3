"""Training pipeline on a tiny GoEmotions-shaped folder with a deterministic fake embedder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from agents.core.emotion import LABELS
from agents.emotion import train as training
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.goemotions import load_split
from agents.emotion.taxonomy import EKMAN_LABELS

ORIGINAL = sorted(
    {"anger", "annoyance", "fear", "sadness", "confusion", "neutral", "joy", "gratitude", "disgust"}
)
# each original label with its Ekman label and a few words that make the row separable
ROWS = {
    "anger": ("anger", "furious rage"),
    "annoyance": ("anger", "annoying again"),
    "fear": ("fear", "scared afraid"),
    "sadness": ("sadness", "sad tears"),
    "confusion": ("surprise", "confused lost"),
    "neutral": ("neutral", "the table"),
    "joy": ("joy", "happy glad"),
    "gratitude": ("joy", "thanks grateful"),
    "disgust": ("disgust", "gross yuck"),
}


class WordEmbedder:
    """Bag of hashed words: deterministic, separable, no model."""

    name = "usem3"
    dim = 32

    def embed(self, texts: Sequence[str], kind: str = "passage") -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def write_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    (root / "original").mkdir(parents=True)
    (root / "ekman").mkdir()
    (root / "original" / "labels.txt").write_text("\n".join(ORIGINAL) + "\n")
    (root / "ekman" / "labels.txt").write_text("\n".join(EKMAN_LABELS) + "\n")
    for split, count in (("train", 12), ("dev", 4), ("test", 4)):
        original_lines, ekman_lines = [], []
        for label, (ekman, words) in ROWS.items():
            for i in range(count):
                text = f"{words} message {rng.integers(1000)}"
                original_lines.append(f"{text}\t{ORIGINAL.index(label)}\tid{i}")
                ekman_lines.append(f"{text}\t{EKMAN_LABELS.index(ekman)}\tid{i}")
        (root / "original" / f"{split}.tsv").write_text("\n".join(original_lines) + "\n")
        (root / "ekman" / f"{split}.tsv").write_text("\n".join(ekman_lines) + "\n")
    return root


def test_training_writes_an_artefact_that_reloads_and_separates_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_folder(tmp_path / "goemotions")
    monkeypatch.setattr(training, "get_embedder", lambda name: WordEmbedder())
    classifier = training.train(data, cache_dir=tmp_path / "cache", seed=13)
    target = tmp_path / "model.npz"
    classifier.save(target)
    loaded = EmotionClassifier.load(target)
    assert loaded.embedder == "usem3"
    assert loaded.metadata["train_rows"] == 12 * len(ROWS)
    taxonomy = loaded.head("taxonomy")
    assert taxonomy.labels == LABELS
    assert taxonomy.priors.sum() == pytest.approx(1.0, abs=1e-5)
    test = load_split(data, "original", "test")
    probabilities = taxonomy.probabilities(WordEmbedder().embed(test.texts))
    predicted = [taxonomy.labels[i] for i in probabilities.argmax(axis=1)]
    expected = [training.taxonomy_labels(test)[i][0] for i in range(len(test.texts))]
    assert np.mean([p == e for p, e in zip(predicted, expected, strict=True)]) > 0.9
    # the embedding cache is written outside the data folder and reused
    assert list((tmp_path / "cache" / "usem3").glob("original-train-*.npy"))


def test_a_missing_data_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--data must be the GoEmotions folder"):
        load_split(tmp_path, "original", "train")
