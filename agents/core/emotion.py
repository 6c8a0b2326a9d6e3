"""An emotion reading: the one type from the reader to the graph, the store and the UI.

An `EmotionReading` is produced by the emotion layer (the fast reader on every message,
the deep LLM reader where configured, or their fusion), routes and drafts the support
turn, is stored by the CRM (`tools/crm/readings.py` maps it onto its row) and is what the
inbox, the handoff queue and the dashboard show. The labels and why they are these seven
are explained in `agents/emotion/taxonomy.py`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.core.lang import Lang

EmotionLabel = Literal[
    "anger", "frustration", "anxiety", "sadness", "confusion", "neutral", "satisfaction"
]
"""Ressenti's customer-service emotion taxonomy."""
LABELS: tuple[EmotionLabel, ...] = (
    "anger",
    "frustration",
    "anxiety",
    "sadness",
    "confusion",
    "neutral",
    "satisfaction",
)
ReadingSource = Literal["fast", "deep", "fused"]
Band = Literal["low", "medium", "high"]

_SCORE_SUM_TOLERANCE = 0.02


def band_of(value: float) -> Band:
    """The band of an intensity or effort in [0, 1]: low < 0.34 <= medium < 0.67 <= high."""
    if value < 0.34:
        return "low"
    if value < 0.67:
        return "medium"
    return "high"


def label_scores(label: EmotionLabel) -> dict[EmotionLabel, float]:
    """The distribution a reading gets when no scores are given: all on its label."""
    return {name: 1.0 if name == label else 0.0 for name in LABELS}


class EvidenceSpan(BaseModel):
    """A piece of the message that carries a signal, with its character offsets."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    """Offset of the first character in the message."""
    end: int = Field(ge=0)
    """Offset after the last character."""
    text: str
    """The span itself, as written by the customer."""
    signal: str
    """What it signals: a flag name, `effort:<cue>`, `urgency:<cue>` or `lexicon:<±>`."""

    @model_validator(mode="after")
    def _ordered(self) -> EvidenceSpan:
        if self.end < self.start:
            raise ValueError("evidence span ends before it starts")
        return self


class EmotionFlags(BaseModel):
    """Situations that change how the conversation must be handled, whatever the emotion."""

    model_config = ConfigDict(frozen=True)

    asks_for_human: bool = False
    """The customer asks to speak to a person (agent, adviser, manager)."""
    threatens_to_leave: bool = False
    """The customer says they will cancel, terminate or go to a competitor."""
    legal_threat: bool = False
    """Lawyer, lawsuit, complaint to a regulator or ombudsman, consumer association."""
    vulnerable_situation: bool = False
    """Bereavement, illness, disability, financial hardship or other vulnerability."""

    def raised(self) -> list[str]:
        """Names of the flags that are set."""
        return [name for name, value in self.model_dump().items() if value]


class EmotionReading(BaseModel):
    """One reading of one customer message.

    Only the label, valence and intensity are needed to build one: `scores` default to
    the whole probability on the label, effort and urgency to 0, flags to none.
    """

    model_config = ConfigDict(frozen=True)

    label: EmotionLabel
    """The dominant emotion (the label with the highest score)."""
    scores: dict[EmotionLabel, float] = Field(default_factory=dict)
    """Probability of every taxonomy label; they sum to 1 (not given: all on the label)."""
    valence: float = Field(ge=-1, le=1)
    """From -1 (very negative) to 1 (very positive)."""
    intensity: float = Field(ge=0, le=1)
    """How strongly the emotion is expressed, from 0 (flat) to 1 (extreme)."""
    effort: float = Field(default=0.0, ge=0, le=1)
    """Customer effort: repeated contacts, waiting, being passed around; 0 none, 1 extreme."""
    urgency: float = Field(default=0.0, ge=0, le=1)
    """How soon the matter must be handled, from 0 (no hurry) to 1 (now)."""
    flags: EmotionFlags = Field(default_factory=EmotionFlags)
    """Situations to handle specially."""
    evidence: list[EvidenceSpan] = Field(default_factory=list)
    """The spans that carry the signals."""
    lang: Lang = "fr"
    """Language the message was read in."""
    source: ReadingSource = "fast"
    """Which reader produced it: the fast reader, the deep LLM reader, or their fusion."""
    trigger: str | None = None
    """What caused the emotion (deep reader only), e.g. "order 1042 is 6 days late"."""
    rationale: str | None = None
    """Short explanation of the reading (deep reader only)."""

    @model_validator(mode="before")
    @classmethod
    def _scores_default_to_the_label(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("scores") is None and data.get("label") in LABELS:
            return {**data, "scores": label_scores(data["label"])}
        return data

    @field_validator("scores")
    @classmethod
    def _complete_distribution(cls, scores: dict[str, float]) -> dict[str, float]:
        missing = [label for label in LABELS if label not in scores]
        if missing:
            raise ValueError(f"scores miss labels {missing}")
        if any(not 0.0 <= value <= 1.0 for value in scores.values()):
            raise ValueError("every score must lie in [0, 1]")
        total = sum(scores.values())
        if abs(total - 1.0) > _SCORE_SUM_TOLERANCE:
            raise ValueError(f"scores must sum to 1 (they sum to {total:.3f})")
        return {label: float(scores[label]) for label in LABELS}

    @model_validator(mode="after")
    def _label_is_top_score(self) -> EmotionReading:
        top = max(self.scores.values())
        if self.scores[self.label] < top - 1e-6:
            raise ValueError(f"label '{self.label}' is not the highest score")
        return self

    @property
    def intensity_band(self) -> Band:
        return band_of(self.intensity)

    @property
    def effort_band(self) -> Band:
        return band_of(self.effort)
