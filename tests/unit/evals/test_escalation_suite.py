"""The escalation suite: its file (size, languages, splits, trajectories), the per-rule and
per-split scoring, the `--split` selection and the precision/recall figure."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import yaml

from agents.core.config import Settings
from agents.support.policy import EscalationPolicy
from evals import scorers
from evals.runner import of_split, run_suite
from evals.schema import EscalationCase, SuiteError, load_suite, suites_dir
from evals.store import RunStore
from evals.tasks import EvalContext

GRAPH_RULES = {"draft_check_failed"}
"""Rules the graph adds itself (not in the policy file)."""


def _cases() -> list[EscalationCase]:
    cases = load_suite("escalation").inline_cases()
    assert all(isinstance(c, EscalationCase) for c in cases)
    return cases  # type: ignore[return-value]


def test_suite_has_200_bilingual_conversations_split_dev_and_test() -> None:
    cases = _cases()
    assert len(cases) >= 200
    langs = Counter(c.lang for c in cases)
    assert min(langs["fr"], langs["en"]) >= 0.4 * len(cases)
    splits = Counter(c.split for c in cases)
    assert 0.3 <= splits["dev"] / len(cases) <= 0.5
    for split in ("dev", "test"):
        part = [c for c in cases if c.split == split]
        assert {c.lang for c in part} == {"fr", "en"}
        assert any(c.escalate for c in part) and any(not c.escalate for c in part)
    raw = yaml.safe_load((suites_dir() / "escalation.yaml").read_text("utf-8"))["cases"]
    assert all("split" in case for case in raw), "every case's split is fixed in the file"


def test_suite_has_trajectories_both_ways_and_known_rules() -> None:
    cases = _cases()
    worsening = [c for c in cases if c.escalate and (c.handoff_at or 0) > 1]
    recovering = [c for c in cases if not c.escalate and len(c.messages) > 1]
    assert len(worsening) >= 20
    assert len(recovering) >= 15
    assert all(c.tolerance >= 1 for c in worsening)
    rules = {r.id for r in EscalationPolicy.load().rules} | GRAPH_RULES
    expected = {rule for c in cases for rule in c.expected_rules}
    assert expected <= rules
    assert {"asks_for_human", "legal_threat", "vulnerable_situation"} <= expected


def test_a_calm_case_cannot_expect_rules() -> None:
    with pytest.raises(ValueError, match="cannot expect rules"):
        EscalationCase(
            id="x",
            lang="en",
            customer="C00001",
            messages=["hello"],
            escalate=False,
            expected_rules=["asks_for_human"],
        )


def test_of_split_keeps_one_split_or_all() -> None:
    cases = _cases()
    dev, test = of_split(cases, "dev"), of_split(cases, "test")
    assert len(dev) + len(test) == len(cases) == len(of_split(cases, "all"))
    assert {c.split for c in dev} == {"dev"}  # type: ignore[attr-defined]
    with pytest.raises(SuiteError, match="no split"):
        of_split(cases, "train")


def _out(
    expected: bool,
    got: int | None,
    fired: list[str],
    *,
    rules: list[str] | None = None,
    split: str = "test",
    at: int | None = 1,
) -> dict[str, Any]:
    turns = [{"number": got, "rules": fired}] if got is not None else []
    return {
        "expected_escalate": expected,
        "expected_at": at if expected else None,
        "handoff_at": got,
        "tolerance": 0,
        "outbox": 0,
        "turns": turns,
        "split": split,
        "expected_rules": rules or [],
    }


def _rec(output: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(id(output)),
        "passed": scorers.passed("escalation", output),
        "error": None,
        "latency_s": 0.1,
        "tokens": None,
        "output": output,
    }


def test_scorer_precision_recall_false_handoffs_per_rule_and_split() -> None:
    outputs = [
        _out(True, 1, ["asks_for_human"], rules=["asks_for_human"]),  # right rule
        _out(True, 1, ["legal_threat", "asks_for_human"], rules=["legal_threat"]),
        _out(True, None, [], rules=["asks_for_human"]),  # missed
        _out(True, 1, ["high_effort"], rules=["vulnerable_situation"]),  # handed, wrong rule
        _out(False, 1, ["asks_for_human"]),  # a false handoff by asks_for_human
        _out(False, None, []),
        _out(False, None, [], split="dev"),
        _out(False, 1, ["low_retrieval_confidence"], split="dev"),
    ]
    result = scorers.score("escalation", [_rec(o) for o in outputs])
    m = result.metrics
    # overall: tp 3, fp 2, fn 1; calm 4, of which 2 handed off
    assert m["precision"] == pytest.approx(3 / 5)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["false_handoff_rate"] == pytest.approx(2 / 4)
    # per split
    assert m["test.precision"] == pytest.approx(3 / 4)
    assert m["test.false_handoff_rate"] == pytest.approx(1 / 2)
    assert m["dev.false_handoff_rate"] == pytest.approx(1 / 2)
    assert m["dev.precision"] == 0.0
    # per rule: asks_for_human fired on 3 conversations, 2 needed a person; 2 expect it, 1 hit
    assert m["rule.asks_for_human.fired"] == 3
    assert m["rule.asks_for_human.precision"] == pytest.approx(2 / 3)
    assert m["rule.asks_for_human.recall"] == pytest.approx(1 / 2)
    assert m["rule.legal_threat.precision"] == 1.0
    assert m["rule.legal_threat.recall"] == 1.0
    assert m["rule.vulnerable_situation.recall"] == 0.0
    assert "rule.vulnerable_situation.precision" not in m  # never fired
    assert m["rule.low_retrieval_confidence.precision"] == 0.0
    assert "rule.low_retrieval_confidence.recall" not in m  # never expected
    rows = {r["label"]: r for r in result.details["rules"]}
    assert rows["vulnerable_situation"]["precision"] is None
    assert result.details["overall"] == {"precision": m["precision"], "recall": m["recall"]}


def test_a_run_of_one_split_writes_the_precision_recall_figure(settings: Settings) -> None:
    suite = load_suite("escalation")
    seen: list[str] = []

    def task(case: EscalationCase, ctx: EvalContext) -> dict[str, Any]:
        """Hands off exactly the conversations that should be (a perfect agent)."""
        seen.append(case.split)
        rules = case.expected_rules or ["high_negative_intensity"]
        got = case.handoff_at if case.escalate else None
        return _out(case.escalate, got, rules, rules=case.expected_rules, split=case.split) | {
            "expected_at": case.handoff_at
        }

    store = RunStore.from_settings(settings)
    outcome = run_suite(
        suite, EvalContext(settings), store, workers=1, task=task, show_progress=False, split="dev"
    )
    assert set(seen) == {"dev"}
    assert outcome.run.manifest["options"]["split"] == "dev"
    assert outcome.score.metrics["precision"] == 1.0
    assert outcome.score.metrics["recall"] == 1.0
    assert outcome.score.metrics["false_handoff_rate"] == 0.0
    assert outcome.gates_passed
    assert (outcome.run.folder / "precision_recall.png").stat().st_size > 5000
