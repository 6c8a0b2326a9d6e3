"""A few escalation cases through the real support graph on the embedded default model's
profile, where the decision is code only (fast reader, flags, fast assessor, rules): no
model server is needed, and an unreachable endpoint proves that no model is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.core.config import Settings
from agents.services.root import open_support_world
from evals.runner import run_suite
from evals.schema import load_suite
from evals.store import RunStore
from evals.tasks import EvalContext

pytestmark = pytest.mark.integration

PICKED = {
    "esc-fr-062": ("legal_threat", 1),  # a consumer group and a complaint
    "esc-en-052": ("asks_for_human", 1),  # "Can I get someone on the phone?"
    "esc-fr-068": ("vulnerable_situation", 1),  # hospitalised, cannot pay on time
    "esc-en-003": (None, None),  # where to find the return label: stays with the copilot
}


def test_picked_cases_hand_off_by_their_rule_and_send_nothing(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="smollm2-135m-instruct",
        llm_profile="auto",
    )
    suite = load_suite("escalation")
    subset = suite.model_copy(update={"cases": [c for c in suite.cases if c["id"] in PICKED]})
    ctx = EvalContext(settings, open_world=open_support_world)
    try:
        outcome = run_suite(
            subset, ctx, RunStore(tmp_path / "runs"), workers=1, show_progress=False, split="all"
        )
    finally:
        ctx.close()
    records = {r["id"]: r["output"] for r in outcome.run.records()}
    assert set(records) == set(PICKED)
    for case_id, (rule, at) in PICKED.items():
        output = records[case_id]
        assert output["handoff_at"] == at, case_id
        fired = [r for t in output["turns"] if t["number"] == at for r in t["rules"]]
        assert (rule in fired) if rule else not fired, (case_id, fired)
        assert output["model_calls"] == 0
    metrics = outcome.score.metrics
    assert metrics["outbox_writes"] == 0
    assert metrics["errors"] == 0
    assert metrics["precision"] == metrics["recall"] == 1.0
    assert metrics["rule.legal_threat.recall"] == 1.0
    assert (outcome.run.folder / "precision_recall.png").is_file()
