"""The escalation policy: rules kept as data (YAML), decisions computed in code.

`EscalationPolicy.decide(signals)` evaluates every rule over the turn's signals and returns
a `RoutingDecision` holding each fired rule and the values it saw, so every handoff can
say why it happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, model_validator

from agents.core.lang import Lang
from agents.support.schemas import (
    Assessment,
    EmotionView,
    Priority,
    RoutingDecision,
    RuleHit,
)

SignalValue = float | bool | str | list[str] | None
PRIORITY_ORDER: dict[Priority, int] = {"normal": 0, "high": 1, "urgent": 2}


class Condition(BaseModel):
    """One test of one signal."""

    signal: str
    is_: bool | str | None = Field(default=None, alias="is")
    at_least: float | None = None
    at_most: float | None = None
    any_of: list[str] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [self.is_, self.at_least, self.at_most, self.any_of]
        if sum(test is not None for test in tests) != 1:
            raise ValueError(f"condition on '{self.signal}' needs exactly one test")
        return self

    def holds(self, value: SignalValue) -> bool:
        if value is None:
            return False
        if self.is_ is not None:
            return value == self.is_
        if self.any_of is not None:
            return isinstance(value, list) and bool(set(value) & set(self.any_of))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.at_least is not None:
            return value >= self.at_least
        return self.at_most is not None and value <= self.at_most


class Rule(BaseModel):
    id: str
    description: str
    priority: Priority
    all: list[Condition] = Field(min_length=1)


class DisclosureText(BaseModel):
    enabled: bool
    fr: str
    en: str


class EscalationPolicy(BaseModel):
    """The whole policy file, validated."""

    version: int
    trend_window: int = Field(ge=2)
    max_redrafts: int = Field(ge=0, le=5)
    max_gesture_eur: float = Field(ge=0)
    rules: list[Rule]
    ai_disclosure: DisclosureText
    suggested_openings: dict[Lang, dict[Priority, str]]

    @classmethod
    def load(cls, path: Path | None = None) -> EscalationPolicy:
        """The policy at `path`, or the default shipped next to this module."""
        if path is None:
            text = (
                resources.files("agents.support")
                .joinpath("escalation_policy.yaml")
                .read_text("utf-8")
            )
        else:
            text = path.read_text("utf-8")
        return cls.model_validate(yaml.safe_load(text))

    def decide(self, signals: Mapping[str, SignalValue]) -> RoutingDecision:
        hits: list[RuleHit] = []
        for rule in self.rules:
            if all(cond.holds(signals.get(cond.signal)) for cond in rule.all):
                seen = {cond.signal: signals.get(cond.signal) for cond in rule.all}
                hits.append(RuleHit(rule=rule.id, description=rule.description, seen=seen))
        priorities = [self._priority_of(hit.rule) for hit in hits]
        priority = max(priorities, key=PRIORITY_ORDER.__getitem__, default="normal")
        return RoutingDecision(escalate=bool(hits), priority=priority, hits=hits)

    def _priority_of(self, rule_id: str) -> Priority:
        return next(rule.priority for rule in self.rules if rule.id == rule_id)


def turn_signals(
    reading: EmotionView,
    trajectory: Sequence[EmotionView],
    window: int,
    repeated_contacts: int,
    assessment: Assessment | None,
    retrieval_confident: bool,
    best_score: float | None,
    llm_failure: bool,
) -> dict[str, SignalValue]:
    """The values the rules test, computed from one turn (no model involved)."""
    recent = [*trajectory, reading][-window:]
    valence_drop = max(0.0, max(r.valence for r in recent) - reading.valence) if recent else 0.0
    signals: dict[str, SignalValue] = {
        "intensity": reading.intensity,
        "valence": reading.valence,
        "effort": reading.effort,
        "urgency": reading.urgency,
        "valence_drop": round(valence_drop, 3),
        "repeated_contacts": float(repeated_contacts),
        "retrieval_confident": retrieval_confident,
        "best_score": best_score,
        "llm_failure": llm_failure,
        "complexity": assessment.complexity if assessment else None,
        "intent_count": float(len(assessment.intents)) if assessment else None,
        "sensitive_topics": [t for t in assessment.sensitive_topics if t != "none"]
        if assessment
        else None,
        "policy_exception": assessment.policy_exception_requested if assessment else None,
    }
    for flag in ("asks_for_human", "threatens_to_leave", "legal_threat", "vulnerable_situation"):
        signals[flag] = bool(reading.flags.get(flag, False))
    return signals
