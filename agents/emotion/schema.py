"""What a reading of a customer's message says, as validated data.

An `EmotionReading` is produced by the fast reader (every message), the deep LLM reader
(where configured) or their fusion, and is what routing, drafting and the dashboards read.
`to_record()` / `from_record()` map it onto the CRM store's `emotion_readings` row.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.core.lang import Lang
from agents.emotion.taxonomy import LABELS, EmotionLabel

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
    """One reading of one customer message."""

    model_config = ConfigDict(frozen=True)

    label: EmotionLabel
    """The dominant emotion (the label with the highest score)."""
    scores: dict[EmotionLabel, float]
    """Probability of every taxonomy label; they sum to 1."""
    valence: float = Field(ge=-1, le=1)
    """From -1 (very negative) to 1 (very positive)."""
    intensity: float = Field(ge=0, le=1)
    """How strongly the emotion is expressed, from 0 (flat) to 1 (extreme)."""
    effort: float = Field(ge=0, le=1)
    """Customer effort: repeated contacts, waiting, being passed around; 0 none, 1 extreme."""
    urgency: float = Field(ge=0, le=1)
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

    # --- mappings ------------------------------------------------------------------
    def output_fields(self) -> dict[str, Any]:
        """The reading as written by `ressenti emotion` (JSON-ready)."""
        return self.model_dump(mode="json")

    def to_record(
        self,
        *,
        message_id: str,
        conversation_id: str,
        customer_id: str,
        created_at: datetime,
    ) -> dict[str, Any]:
        """The row of the CRM store's `emotion_readings` table.

        `scores`, `flags` and `evidence` are JSON-ready values (the store's JSON columns);
        `evidence` is an object holding the spans plus the language, trigger and rationale,
        so that nothing of the reading is lost in the round trip.
        """
        return {
            "message_id": message_id,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "label": self.label,
            "scores": dict(self.scores),
            "valence": self.valence,
            "intensity": self.intensity,
            "effort": self.effort,
            "urgency": self.urgency,
            "flags": self.flags.model_dump(),
            "evidence": {
                "spans": [span.model_dump() for span in self.evidence],
                "lang": self.lang,
                "trigger": self.trigger,
                "rationale": self.rationale,
            },
            "source": self.source,
            "created_at": created_at,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> EmotionReading:
        """The reading stored in an `emotion_readings` row (JSON columns as text or values)."""

        def loaded(value: Any) -> Any:
            return json.loads(value) if isinstance(value, str | bytes) else value

        evidence = loaded(record.get("evidence")) or {}
        if isinstance(evidence, list):  # spans only
            evidence = {"spans": evidence}
        return cls(
            label=record["label"],
            scores=loaded(record["scores"]),
            valence=record["valence"],
            intensity=record["intensity"],
            effort=record["effort"],
            urgency=record["urgency"],
            flags=EmotionFlags(**(loaded(record.get("flags")) or {})),
            evidence=[EvidenceSpan(**span) for span in evidence.get("spans", [])],
            lang=evidence.get("lang") or "fr",
            source=record.get("source", "fast"),
            trigger=evidence.get("trigger"),
            rationale=evidence.get("rationale"),
        )
