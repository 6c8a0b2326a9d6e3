"""Train the fast assessor's heads (sensitive topics, exception requests) and ship them.

    python -m agents.support.assessor_train

Rows: the hand-written examples of `agents/support/assessor_data/train.jsonl` (topics,
exception requests, plain questions, multi-request messages), plus the escalation-flag
training phrasings as extra rows: a legal threat is the `legal` topic, calm messages and
requests for a person or to leave carry no topic (vulnerable phrasings are left out: their
topic, bereavement, health or hardship, is not written down there). Thresholds come from
cross-validation on these rows (`agents.emotion.flags.train.fit_heads`); the held-out set
`evals/assessor/assessor_heldout.jsonl` is never read here. Deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agents.emotion.flags.detector import FlagModel
from agents.emotion.flags.train import DEFAULT_DATA as FLAG_DATA
from agents.emotion.flags.train import DEFAULT_SEED, fit_heads, load_examples
from agents.support.assessor import EXCEPTION, HEADS, default_assessor_path

console = Console(stderr=True)
DEFAULT_DATA = Path(__file__).parent / "assessor_data" / "train.jsonl"
DEFAULT_TARGET_RECALL = 0.95
MAX_FALSE_ALARM = 0.003
"""Cross-validated share of plain messages a head may mark (each one is a handoff)."""


def assessor_rows(path: Path) -> list[tuple[str, frozenset[str]]]:
    """(text, labels) of an assessor data file: topics, and `policy_exception`."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            labels = set(raw["topics"]) | ({EXCEPTION} if raw["exception"] else set())
            unknown = labels - set(HEADS)
            if unknown:
                raise ValueError(f"{path}: unknown label(s) {sorted(unknown)}")
            rows.append((raw["text"], frozenset(labels)))
    return rows


def training_rows(data: Path = DEFAULT_DATA) -> list[tuple[str, frozenset[str]]]:
    rows = assessor_rows(data)
    for example in load_examples(FLAG_DATA):
        if "vulnerable_situation" in example.flags:
            continue
        rows.append(
            (example.text, frozenset({"legal"} if "legal_threat" in example.flags else set()))
        )
    return rows


def train(data: Path = DEFAULT_DATA, *, seed: int = DEFAULT_SEED) -> FlagModel:
    rows = training_rows(data)
    embedder, heads, report = fit_heads(
        [text for text, _ in rows],
        [labels for _, labels in rows],
        HEADS,
        seed=seed,
        target_recall=DEFAULT_TARGET_RECALL,
        max_false_alarm=MAX_FALSE_ALARM,
    )
    metadata = {
        "seed": seed,
        "rows": len(rows),
        "data": "hand-written FR/EN examples (assessor_data/train.jsonl + flag phrasings)",
        "cross_validation": report,
    }
    return FlagModel(embedder=embedder, heads=heads, metadata=metadata)


def main(
    data: Annotated[Path, typer.Option(help="Assessor examples (JSONL).")] = DEFAULT_DATA,
    output: Annotated[Path | None, typer.Option(help="Artefact (default: shipped).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the cross-validation folds.")] = DEFAULT_SEED,
) -> None:
    """Train the fast assessor's heads and save the artefact."""
    model = train(data, seed=seed)
    target = output or default_assessor_path()
    model.save(target)
    console.print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    typer.run(main)
