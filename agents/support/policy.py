"""The escalation policy: rules kept as data (YAML), decisions computed in code.

`turn_signals(...)` computes the turn's `TurnSignals`; `EscalationPolicy.decide(signals)`
evaluates every rule over them and returns a `RoutingDecision` holding each fired rule
and the values it saw, so every handoff can say why it happened. A policy file is checked
against `TurnSignals` when it loads: a rule naming a signal that does not exist, or
testing one in a way its type does not allow, is refused with the rule's name.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.core.priority import Priority, most_urgent
from agents.support.schemas import (
    Assessment,
    Complexity,
    RoutingDecision,
    RuleHit,
    SensitiveTopic,
)

SignalValue = float | bool | str | list[str] | None
"""A value a rule saw: a signal's, or a fact of one of the graph's own rules."""


class TurnSignals(BaseModel):
    """The values the escalation rules test, computed from one turn (no model involved).

    Each field's docstring is the signal's documentation (the policy file's header
    repeats them, see `signal_reference`). None means not measured this turn (the model's
    assessment failed, no passage was found): a condition on it never holds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    intensity: float | None = None
    """How strongly this message's emotion shows, 0 (flat) to 1 (extreme)."""
    valence: float | None = None
    """How negative or positive this message is, -1 to 1."""
    effort: float | None = None
    """The customer's effort so far (repeats, waiting, transfers), 0 to 1."""
    urgency: float | None = None
    """How soon the matter must be handled, 0 (no hurry) to 1 (now)."""
    asks_for_human: bool | None = None
    """The customer asks to speak to a person (a flag of the reading)."""
    threatens_to_leave: bool | None = None
    """The customer says they will cancel or go elsewhere (a flag of the reading)."""
    legal_threat: bool | None = None
    """Lawyer, lawsuit, regulator or ombudsman (a flag of the reading)."""
    vulnerable_situation: bool | None = None
    """Bereavement, illness, disability or hardship (a flag of the reading)."""
    valence_drop: float | None = None
    """Valence lost over the last `trend_window` readings, 0 to 2."""
    repeated_contacts: int | None = None
    """The customer's contacts in the last 30 days, this one included."""
    complexity: Complexity | None = None
    """How complex the model's assessment judges the request."""
    intent_count: int | None = None
    """Distinct requests the model's assessment found in the message."""
    sensitive_topics: list[SensitiveTopic] | None = None
    """Sensitive topics the model's assessment found."""
    policy_exception: bool | None = None
    """The model's assessment: the customer asks for an exception to the rules."""
    retrieval_confident: bool | None = None
    """The knowledge-base search found a passage that answers well enough."""
    best_score: float | None = None
    """The best passage's similarity, 0 to 1 (unset when nothing was found)."""
    llm_failure: bool | None = None
    """A model call failed or answered invalidly this turn."""
    closing: bool | None = None
    """The message only thanks, says the matter is settled or passes on feedback (code)."""


SignalKind = Literal["number", "yes/no", "choice", "list"]


def _signal_type(name: str) -> object:
    """The signal's type, without the None that every signal may be."""
    annotation = TurnSignals.model_fields[name].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def signal_kind(name: str) -> SignalKind:
    """What kind of value a signal holds, and so which tests apply to it."""
    kind = _signal_type(name)
    if kind is bool:
        return "yes/no"
    if kind in (int, float):
        return "number"
    return "list" if get_origin(kind) is list else "choice"


def signal_choices(name: str) -> tuple[str, ...]:
    """The values a `choice` signal takes, or a `list` signal's items may take."""
    kind = _signal_type(name)
    if get_origin(kind) is list:
        kind = get_args(kind)[0]
    return tuple(str(value) for value in get_args(kind))


def signal_reference() -> str:
    """Every signal with its kind and documentation, as the policy file's comment lines."""
    lines = []
    for name, field in TurnSignals.model_fields.items():
        choices = signal_choices(name)
        values = f" [{'|'.join(choices)}]" if choices else ""
        lines.append(f"#   {name:<21} {signal_kind(name):<7} {field.description}{values}")
    return "\n".join(lines)


TESTS_OF: dict[SignalKind, tuple[str, ...]] = {
    "number": ("at_least", "at_most"),
    "yes/no": ("is",),
    "choice": ("is",),
    "list": ("any_of",),
}
"""The tests that apply to each kind of signal."""


class Condition(BaseModel):
    """One test of one signal."""

    signal: str
    is_: bool | float | str | None = Field(default=None, alias="is")
    at_least: float | None = Field(default=None, strict=True)
    at_most: float | None = Field(default=None, strict=True)
    any_of: list[str] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if len(self._tests()) != 1:
            raise ValueError(f"condition on '{self.signal}' needs exactly one test")
        return self

    def _tests(self) -> dict[str, object]:
        """The tests this condition sets, by their names in the policy file."""
        tests: dict[str, object] = {
            "is": self.is_,
            "at_least": self.at_least,
            "at_most": self.at_most,
            "any_of": self.any_of,
        }
        return {name: value for name, value in tests.items() if value is not None}

    def problem(self) -> str | None:
        """What is wrong with this condition against `TurnSignals`, or None."""
        known = list(TurnSignals.model_fields)
        if self.signal not in known:
            close = difflib.get_close_matches(self.signal, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown signal '{self.signal}'{hint}; known signals: {', '.join(known)}"
        kind = signal_kind(self.signal)
        [(test, value)] = self._tests().items()
        allowed = TESTS_OF[kind]
        if test not in allowed:
            return (
                f"signal '{self.signal}' is a {kind} signal: test it with "
                f"{' or '.join(allowed)}, not `{test}: {json.dumps(value)}`"
            )
        choices = signal_choices(self.signal)
        if kind == "yes/no" and not isinstance(value, bool):
            return f"signal '{self.signal}' is yes/no: `is` takes true or false, not {value!r}"
        values = value if isinstance(value, list) else [value]
        unknown = [v for v in values if kind in ("choice", "list") and v not in choices]
        if unknown:
            return (
                f"signal '{self.signal}' takes {', '.join(choices)}, not "
                f"{', '.join(map(repr, unknown))}"
            )
        return None

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

    @model_validator(mode="after")
    def _signals_exist_and_fit(self) -> Rule:
        for condition in self.all:
            problem = condition.problem()
            if problem:
                raise ValueError(f"rule '{self.id}': {problem}")
        return self


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

    def decide(self, signals: TurnSignals) -> RoutingDecision:
        hits: list[RuleHit] = []
        for rule in self.rules:
            seen: dict[str, SignalValue] = {
                cond.signal: getattr(signals, cond.signal) for cond in rule.all
            }
            if all(cond.holds(seen[cond.signal]) for cond in rule.all):
                hits.append(RuleHit(rule=rule.id, description=rule.description, seen=seen))
        priority = most_urgent(self._priority_of(hit.rule) for hit in hits)
        return RoutingDecision(escalate=bool(hits), priority=priority, hits=hits)

    def _priority_of(self, rule_id: str) -> Priority:
        return next(rule.priority for rule in self.rules if rule.id == rule_id)


def turn_signals(
    reading: EmotionReading,
    trajectory: Sequence[EmotionReading],
    window: int,
    repeated_contacts: int,
    assessment: Assessment | None,
    retrieval_confident: bool,
    best_score: float | None,
    llm_failure: bool,
    closing: bool = False,
) -> TurnSignals:
    """The values the rules test, computed from one turn (no model involved)."""
    recent = [*trajectory, reading][-window:]
    valence_drop = max(0.0, max(r.valence for r in recent) - reading.valence) if recent else 0.0
    return TurnSignals(
        intensity=reading.intensity,
        valence=reading.valence,
        effort=reading.effort,
        urgency=reading.urgency,
        asks_for_human=reading.flags.asks_for_human,
        threatens_to_leave=reading.flags.threatens_to_leave,
        legal_threat=reading.flags.legal_threat,
        vulnerable_situation=reading.flags.vulnerable_situation,
        valence_drop=round(valence_drop, 3),
        repeated_contacts=repeated_contacts,
        retrieval_confident=retrieval_confident,
        best_score=best_score,
        llm_failure=llm_failure,
        closing=closing,
        complexity=assessment.complexity if assessment else None,
        intent_count=len(assessment.intents) if assessment else None,
        sensitive_topics=[t for t in assessment.sensitive_topics if t != "none"]
        if assessment
        else None,
        policy_exception=assessment.policy_exception_requested if assessment else None,
    )
