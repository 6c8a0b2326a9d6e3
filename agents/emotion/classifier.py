"""The trained part of the fast reader: small dense heads over sentence embeddings.

An artefact is one `.npz` file holding, per head, the layer weights, the label names and
the per-label decision thresholds tuned on GoEmotions' dev split. Inference is plain numpy:
`relu(x @ W1 + b1) … @ Wn + bn`, then a softmax. scikit-learn is only needed to train.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


def default_artefact_path() -> Path:
    """The artefact shipped inside the package."""
    return Path(str(resources.files("agents.emotion").joinpath("model", "classifier.npz")))


@dataclass(frozen=True)
class DenseHead:
    """A softmax classifier: dense layers (ReLU between them) over an embedding."""

    labels: tuple[str, ...]
    weights: tuple[FloatArray, ...]
    biases: tuple[FloatArray, ...]
    thresholds: FloatArray
    """Per-label probability at or above which a label counts as present (multi-label)."""
    priors: FloatArray
    """Share of each label in the training data (GoEmotions' Reddit prior)."""

    def probabilities(self, features: FloatArray) -> FloatArray:
        """Label probabilities, shape (n, labels); each row sums to 1."""
        hidden = np.asarray(features, dtype=np.float32)
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = hidden @ weight + bias
            if index < last:
                hidden = np.maximum(hidden, 0.0)
        hidden = hidden - hidden.max(axis=1, keepdims=True)
        exp = np.exp(hidden)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)

    def prior_corrected(self, probabilities: FloatArray) -> FloatArray:
        """Probabilities under a uniform label prior instead of the training prior.

        GoEmotions is one-third neutral and one-third positive; contact-centre messages are
        not. Dividing by the training prior and normalising (Bayes' rule with the prior
        swapped for a uniform one) stops the classifier from calling most complaints
        neutral. The GoEmotions evaluation uses the raw probabilities.
        """
        adjusted = probabilities / np.maximum(self.priors, 1e-6)[None, :]
        return np.asarray(adjusted / adjusted.sum(axis=1, keepdims=True), dtype=np.float32)

    def present(self, probabilities: FloatArray) -> npt.NDArray[np.bool_]:
        """Multi-label decision: labels over their threshold, and always the top label."""
        chosen = probabilities >= self.thresholds[None, :]
        chosen[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
        return chosen


@dataclass(frozen=True)
class EmotionClassifier:
    """The heads of one artefact and the embedder they were trained on."""

    embedder: str
    heads: dict[str, DenseHead]
    metadata: dict[str, Any] = field(default_factory=dict)

    def head(self, name: str) -> DenseHead:
        try:
            return self.heads[name]
        except KeyError:
            raise KeyError(
                f"the artefact has no head '{name}' (it has {sorted(self.heads)})"
            ) from None

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {}
        for name, head in self.heads.items():
            arrays[f"{name}.labels"] = np.array(head.labels)
            arrays[f"{name}.thresholds"] = head.thresholds
            arrays[f"{name}.priors"] = head.priors
            for index, (weight, bias) in enumerate(zip(head.weights, head.biases, strict=True)):
                arrays[f"{name}.W{index}"] = weight.astype(np.float32)
                arrays[f"{name}.b{index}"] = bias.astype(np.float32)
        meta = {"embedder": self.embedder, "heads": sorted(self.heads), **self.metadata}
        arrays["metadata"] = np.array(json.dumps(meta, sort_keys=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path: Path | None = None) -> EmotionClassifier:
        """Read an artefact (default: the one shipped in the package)."""
        source = path or default_artefact_path()
        if not source.is_file():
            raise FileNotFoundError(
                f"no emotion classifier at {source}; train one with "
                "`python -m agents.emotion.train --data PATH`"
            )
        with np.load(source, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            heads: dict[str, DenseHead] = {}
            for name in meta["heads"]:
                weights: list[FloatArray] = []
                biases: list[FloatArray] = []
                index = 0
                while f"{name}.W{index}" in data:
                    weights.append(np.asarray(data[f"{name}.W{index}"], dtype=np.float32))
                    biases.append(np.asarray(data[f"{name}.b{index}"], dtype=np.float32))
                    index += 1
                heads[name] = DenseHead(
                    labels=tuple(str(label) for label in data[f"{name}.labels"]),
                    weights=tuple(weights),
                    biases=tuple(biases),
                    thresholds=np.asarray(data[f"{name}.thresholds"], dtype=np.float32),
                    priors=np.asarray(data[f"{name}.priors"], dtype=np.float32),
                )
        embedder = str(meta.pop("embedder"))
        meta.pop("heads", None)
        return cls(embedder=embedder, heads=heads, metadata=meta)
