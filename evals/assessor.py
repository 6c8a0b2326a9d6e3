"""The fast assessor on its held-out examples: `python -m evals.assessor [--misses]`.

`evals/assessor/assessor_heldout.jsonl` (written apart from the training examples, never
read by training) holds messages on each sensitive topic, requests for an exception to
policy, plain questions and messages with two or three requests. The calm messages of the
flags' held-out set are added as further plain messages. Reported: per topic and for the
exception request, recall and the false-alarm rate on plain messages; the request count's
accuracy; and the share of plain messages the assessor would send to a person through the
default policy's assessment rules (high complexity, three requests or more, a sensitive
topic, an exception request).
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from pathlib import Path

from agents.support.assessor import EXCEPTION, TOPICS, FastAssessor
from agents.support.schemas import Assessment
from evals.flags import heldout_path as flags_heldout_path


def heldout_path() -> Path:
    return Path(str(resources.files("evals").joinpath("assessor", "assessor_heldout.jsonl")))


def hands_off(assessment: Assessment) -> bool:
    """Whether the default policy's assessment rules fire on it."""
    return (
        assessment.complexity == "high"
        or len(assessment.intents) >= 3
        or any(t != "none" for t in assessment.sensitive_topics)
        or assessment.policy_exception_requested
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in heldout_path().read_text("utf-8").splitlines() if line]
    for line in flags_heldout_path().read_text("utf-8").splitlines():
        raw = json.loads(line) if line else None
        if raw and not raw["flags"]:
            rows.append({**raw, "topics": [], "exception": False, "requests": None, "calm": True})
    assessor = FastAssessor()
    assessor.assess("warm up")
    started = time.perf_counter()
    results = [assessor.assess(r["text"]) for r in rows]
    per_message_ms = (time.perf_counter() - started) * 1000 / len(rows)
    plain = [
        (r, a) for r, a in zip(rows, results, strict=True) if not r["topics"] and not r["exception"]
    ]
    print(f"held-out: {len(rows)} messages ({len(plain)} without topic or exception)")
    print(f"mean time per message: {per_message_ms:.1f} ms")
    print(f"{'label':<18} {'recall':>7} {'false alarms (plain)':>21}  n+")
    for label in (*TOPICS, EXCEPTION):
        positives = [
            (r, a)
            for r, a in zip(rows, results, strict=True)
            if (label in r["topics"]) or (label == EXCEPTION and r["exception"])
        ]

        def has(a: Assessment, label: str = label) -> bool:
            if label == EXCEPTION:
                return a.policy_exception_requested
            return label in a.sensitive_topics

        recall = sum(has(a) for _, a in positives) / len(positives) if positives else 0.0
        alarms = sum(has(a) for _, a in plain) / len(plain)
        print(f"{label:<18} {recall:7.3f} {alarms:21.3f}  {len(positives)}")
    counted = [(r, a) for r, a in zip(rows, results, strict=True) if r.get("requests")]
    exact = sum(len(a.intents) == r["requests"] for r, a in counted) / len(counted)
    many = [(r, a) for r, a in counted if r["requests"] >= 3]
    many_found = sum(len(a.intents) >= 3 for _, a in many) / len(many) if many else 0.0
    print(
        f"request count: exact {exact:.3f} on {len(counted)} messages; three or more found in "
        f"{many_found:.3f} of {len(many)}"
    )
    single = [(r, a) for r, a in plain if r.get("requests") in (1, None)]
    false_handoffs = sum(hands_off(a) for _, a in single) / len(single)
    print(
        f"plain single-request messages an assessment rule would hand off: {false_handoffs:.3f} "
        f"({len(single)} messages)"
    )
    if args.misses:
        for r, a in zip(rows, results, strict=True):
            want = set(r["topics"]) | ({EXCEPTION} if r["exception"] else set())
            got: set[str] = {t for t in a.sensitive_topics if t != "none"}
            got |= {EXCEPTION} if a.policy_exception_requested else set()
            wrong_count = r.get("requests") and len(a.intents) != r["requests"]
            if want != got or wrong_count:
                print(
                    f"  [{r['lang']}] want {sorted(want)} got {sorted(got)} "
                    f"requests {r.get('requests')}→{len(a.intents)} {a.complexity}: {r['text']}"
                )


if __name__ == "__main__":
    main()
