"""The escalation policy: every rule fires on its own values, and says what it saw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.core.emotion import EmotionReading
from agents.support.policy import (
    Condition,
    EscalationPolicy,
    SignalValue,
    TurnSignals,
    signal_reference,
    turn_signals,
)
from agents.support.schemas import Assessment

POLICY = EscalationPolicy.load()
POLICY_FILE = Path(__file__).parents[3] / "agents/support/escalation_policy.yaml"

CALM_SIGNALS = TurnSignals(
    intensity=0.1,
    valence=0.2,
    effort=0.1,
    urgency=0.1,
    valence_drop=0.0,
    repeated_contacts=1,
    retrieval_confident=True,
    best_score=0.6,
    llm_failure=False,
    complexity="low",
    intent_count=1,
    sensitive_topics=[],
    policy_exception=False,
    asks_for_human=False,
    threatens_to_leave=False,
    legal_threat=False,
    vulnerable_situation=False,
)


def _satisfying(condition: Condition) -> SignalValue:
    if condition.is_ is not None:
        return condition.is_
    if condition.at_least is not None:
        return condition.at_least
    if condition.at_most is not None:
        return condition.at_most
    assert condition.any_of
    return [condition.any_of[0]]


def test_a_calm_simple_message_fires_nothing() -> None:
    decision = POLICY.decide(CALM_SIGNALS)
    assert not decision.escalate
    assert decision.hits == []
    assert decision.priority == "normal"


@pytest.mark.parametrize("rule", POLICY.rules, ids=[rule.id for rule in POLICY.rules])
def test_each_rule_fires_on_its_own_values_and_records_them(rule: object) -> None:
    assert hasattr(rule, "all")
    signals = CALM_SIGNALS.model_copy(
        update={condition.signal: _satisfying(condition) for condition in rule.all}
    )
    decision = POLICY.decide(signals)

    fired = {hit.rule: hit for hit in decision.hits}
    assert decision.escalate
    assert rule.id in fired
    assert fired[rule.id].seen == {c.signal: getattr(signals, c.signal) for c in rule.all}


def test_priority_is_the_highest_among_fired_rules() -> None:
    signals = CALM_SIGNALS.model_copy(update={"effort": 0.9, "legal_threat": True})
    decision = POLICY.decide(signals)
    assert {hit.rule for hit in decision.hits} == {"high_effort", "legal_threat"}
    assert decision.priority == "urgent"


def test_a_missing_signal_never_fires_a_rule() -> None:
    assert not POLICY.decide(TurnSignals()).escalate


def test_a_condition_needs_exactly_one_test() -> None:
    with pytest.raises(ValidationError, match="exactly one test"):
        Condition.model_validate({"signal": "intensity", "at_least": 0.5, "at_most": 0.9})


def test_a_policy_file_can_replace_the_default(tmp_path: Path) -> None:
    text = POLICY_FILE.read_text()
    (tmp_path / "policy.yaml").write_text(text.replace("at_least: 0.75", "at_least: 0.95"))
    custom = EscalationPolicy.load(tmp_path / "policy.yaml")
    signals = CALM_SIGNALS.model_copy(update={"intensity": 0.8, "valence": -0.5})
    assert "high_negative_intensity" in {h.rule for h in POLICY.decide(signals).hits}
    assert "high_negative_intensity" not in {h.rule for h in custom.decide(signals).hits}


def test_signals_follow_the_trajectory_and_the_assessment() -> None:
    earlier = [
        EmotionReading(label="neutral", valence=0.3, intensity=0.2, effort=0.1, urgency=0.1),
        EmotionReading(label="frustration", valence=-0.1, intensity=0.5, effort=0.4, urgency=0.3),
    ]
    now = EmotionReading(
        label="anger",
        valence=-0.4,
        intensity=0.7,
        effort=0.5,
        urgency=0.6,
        flags={"legal_threat": True},
    )
    assessment = Assessment(
        summary="x",
        intents=["a", "b", "c"],
        complexity="medium",
        sensitive_topics=["legal", "none"],
        policy_exception_requested=False,
    )
    signals = turn_signals(now, earlier, 3, 4, assessment, False, 0.1, False)
    assert signals.valence_drop == pytest.approx(0.7)
    assert signals.intent_count == 3
    assert signals.sensitive_topics == ["legal"]
    assert signals.legal_threat is True
    assert signals.asks_for_human is False
    hits = {hit.rule for hit in POLICY.decide(signals).hits}
    expected = {"legal_threat", "worsening_trajectory", "repeated_contacts", "many_intents"}
    assert hits >= expected | {"sensitive_topic", "low_retrieval_confidence"}


def _policy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = POLICY_FILE.read_text()
    assert old in text
    (tmp_path / "policy.yaml").write_text(text.replace(old, new, 1))
    return tmp_path / "policy.yaml"


def test_a_misspelt_signal_fails_to_load_naming_the_rule_and_the_known_signals(
    tmp_path: Path,
) -> None:
    path = _policy_with(
        tmp_path, "{signal: legal_threat, is: true}", "{signal: legal_treat, is: true}"
    )
    with pytest.raises(ValidationError) as refused:
        EscalationPolicy.load(path)
    message = str(refused.value)
    assert "rule 'legal_threat'" in message
    assert "unknown signal 'legal_treat'" in message
    assert "did you mean 'legal_threat'?" in message
    assert "known signals: " + ", ".join(TurnSignals.model_fields) in message


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("{signal: effort, at_least: 0.8}", "{signal: effort, is: true}", "is a number signal"),
        ("{signal: asks_for_human, is: true}", "{signal: asks_for_human, at_least: 1}", "yes/no"),
        ("{signal: asks_for_human, is: true}", "{signal: asks_for_human, is: maybe}", "true or"),
        ("{signal: complexity, is: high}", "{signal: complexity, is: huge}", "'huge'"),
        ("any_of: [legal, gdpr,", "any_of: [legal, gpdr,", "'gpdr'"),
        ("{signal: effort, at_least: 0.8}", "{signal: effort, at_least: true}", "valid number"),
    ],
)
def test_a_test_that_does_not_fit_its_signal_fails_to_load(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        EscalationPolicy.load(_policy_with(tmp_path, old, new))


def test_every_signal_is_documented_and_the_policy_file_repeats_the_documentation() -> None:
    assert all(field.description for field in TurnSignals.model_fields.values())
    assert signal_reference() in POLICY_FILE.read_text()


def test_a_signal_holds_its_own_type() -> None:
    with pytest.raises(ValidationError):
        TurnSignals(complexity="huge")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        TurnSignals(intensity_level=0.5)  # type: ignore[call-arg]
