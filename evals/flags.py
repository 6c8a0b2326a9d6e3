"""The escalation flags on the held-out phrasings: `python -m evals.flags [--misses]`.

`evals/flags/flags_heldout.jsonl` was written apart from the training phrasings, from the
start, and is never read by training or threshold tuning. For each flag the report gives
its recall on the messages that carry it, its false-alarm rate on the calm messages (no
flag: questions, thanks, complaints without a threat, negated requests), and both per
language, for the fast reader as the product runs it (cue rules OR learned detectors,
declined clauses cleared) and for the cue rules alone. Targets (issue 17): recall >= 0.95
and false alarms <= 5 % on calm messages, per flag.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agents.emotion.cues import find_cues
from agents.emotion.fast import FastReader
from agents.emotion.flags.detector import FLAG_NAMES
from agents.emotion.flags.train import FlagExample, load_examples

RECALL_TARGET = 0.95
FALSE_ALARM_TARGET = 0.05


def heldout_path() -> Path:
    return Path(str(resources.files("evals").joinpath("flags", "flags_heldout.jsonl")))


@dataclass(frozen=True)
class FlagScore:
    flag: str
    lang: str
    recall: float
    false_alarm_calm: float
    positives: int
    calm: int

    @property
    def meets_targets(self) -> bool:
        return self.recall >= RECALL_TARGET and self.false_alarm_calm <= FALSE_ALARM_TARGET


def score_flags(examples: list[FlagExample], predicted: list[set[str]]) -> list[FlagScore]:
    """Recall and calm false-alarm rate per flag, over all rows and per language."""
    scores = []
    for lang in ("all", "fr", "en"):
        rows = [(e, p) for e, p in zip(examples, predicted, strict=True) if lang in ("all", e.lang)]
        calm = [p for e, p in rows if not e.flags]
        for flag in FLAG_NAMES:
            positives = [p for e, p in rows if flag in e.flags]
            recall = sum(flag in p for p in positives) / len(positives) if positives else 0.0
            alarms = sum(flag in p for p in calm) / len(calm) if calm else 0.0
            scores.append(FlagScore(flag, lang, recall, alarms, len(positives), len(calm)))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=None, help="held-out JSONL file")
    parser.add_argument("--misses", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args()
    examples = load_examples(args.set or heldout_path())
    reader = FastReader()
    readings = reader.read_batch([e.text for e in examples], [None] * len(examples))
    product = [set(r.flags.raised()) for r in readings]
    rules_only = [set(find_cues(e.text).flags) for e in examples]
    calm_count = sum(not e.flags for e in examples)
    print(f"held-out: {len(examples)} messages ({calm_count} calm), {heldout_path().name}")
    for title, predicted in (
        ("fast reader (rules OR model)", product),
        ("cue rules only", rules_only),
    ):
        print(f"\n{title}")
        print(f"{'flag':<22} {'lang':<4} {'recall':>7} {'false alarms (calm)':>20}  n+   targets")
        for s in score_flags(examples, predicted):
            verdict = "met" if s.meets_targets else "missed"
            print(
                f"{s.flag:<22} {s.lang:<4} {s.recall:7.3f} {s.false_alarm_calm:20.3f}"
                f"  {s.positives:<4} {verdict if title.startswith('fast') else ''}"
            )
    if args.misses:
        print("\nmisses and false alarms of the fast reader:")
        for example, got in zip(examples, product, strict=True):
            missing = example.flags - got
            extra = got - example.flags
            if missing or extra:
                found = f"missed {sorted(missing)} extra {sorted(extra)}"
                print(f"  [{example.lang}] {found}: {example.text}")


if __name__ == "__main__":
    main()
