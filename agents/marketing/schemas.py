"""Typed values of the marketing studio: the brief, the segment insight, the variants the
model proposes and the ones a reviewer sees, and the reviewer's decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from agents.core.lang import Lang
from agents.marketing.compliance import ComplianceFlag
from tools.crm.audience import SegmentFilterError, validate_filter

TargetEmotion = Literal["reassurance", "gratitude", "excitement", "belonging", "curiosity"]
TARGET_EMOTIONS: tuple[TargetEmotion, ...] = (
    "reassurance",
    "gratitude",
    "excitement",
    "belonging",
    "curiosity",
)
CampaignStatus = Literal[
    "drafting", "awaiting_approval", "approved", "rejected", "failed", "exported"
]


class Brief(BaseModel):
    """What a marketer asks for. Loaded from a YAML or JSON file, or built by the UI."""

    name: str = Field(min_length=1, max_length=200, description="Campaign name.")
    goal: str = Field(min_length=1, max_length=500, description="What the e-mail should achieve.")
    offer: str = Field(
        min_length=1, max_length=200, description="Offer name, as in the offer sheets."
    )
    offer_facts: list[str] = Field(
        default_factory=list,
        description="Facts the marketer vouches for, added to the knowledge base's offer facts.",
    )
    segment: dict[str, Any] = Field(
        default_factory=dict, description="Segment filter over CRM fields (empty: everyone)."
    )
    target_emotion: TargetEmotion
    lang: Lang
    tone: list[str] = Field(default_factory=list, description="Tone constraints, one a line.")
    variants: int = Field(default=3, ge=1, le=5)
    cta_url: str = Field(default="https://www.lumio.example/offres", max_length=300)
    requested_by: str = Field(default="marketing", max_length=100)

    @field_validator("segment")
    @classmethod
    def _known_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_filter(value)
        except SegmentFilterError as exc:
            raise ValueError(str(exc)) from exc
        return value


class EmotionShare(BaseModel):
    label: str
    share: float


class IrritantCount(BaseModel):
    topic: str
    label: str
    """The topic's name in the brief's language."""
    conversations: int


class SegmentInsight(BaseModel):
    """How the segment feels, from its recent conversations in the CRM."""

    matched: int
    """Customers the filter matched."""
    recipients: int
    """Customers the campaign may reach."""
    excluded_no_consent: int
    excluded_vulnerable: int
    conversations: int
    """Recent conversations of the recipients that the insight reads."""
    dominant_emotions: list[EmotionShare]
    irritants: list[IrritantCount]
    end_valence: float | None
    """Mean valence of the last reading of each conversation."""
    negative_end_share: float | None
    """Share of conversations that ended on a negative reading."""
    notes: list[str] = Field(default_factory=list)
    """What the insight suggests for the copy (computed in code)."""


class VariantProposal(BaseModel):
    """One e-mail variant as the model writes it (the schema of the structured call)."""

    subject: str = Field(max_length=120)
    preheader: str = Field(max_length=160, description="Preview line shown after the subject.")
    body: str = Field(max_length=1500, description="Plain-text body, without signature.")
    call_to_action: str = Field(max_length=60, description="Button label.")
    emotion: TargetEmotion
    rationale: str = Field(max_length=240, description="One line: why this should land.")


class EmailVariant(BaseModel):
    """A variant as a reviewer sees it: complete e-mail, aim, and compliance flags."""

    variant_id: str
    round: int
    subject: str
    preheader: str
    body_text: str
    body_html: str
    call_to_action: str
    emotion: TargetEmotion
    rationale: str
    flags: list[ComplianceFlag] = Field(default_factory=list)


class VariantFailure(BaseModel):
    """A variant the model could not produce, even after one retry."""

    index: int
    problem: str


class Notice(BaseModel):
    """Why the reviewer's last decision was not applied: the facts, worded by whoever shows
    them (the studio from its label catalogue, the command line)."""

    kind: Literal["round_limit", "unknown_variant", "override_required", "not_overridable"]
    rounds: int = 0
    """The round limit that was reached (`round_limit`)."""
    variant_id: str = ""
    """The variant the decision named (`unknown_variant`, `override_required`)."""
    rules: list[str] = Field(default_factory=list)
    """The compliance rules its flags hit (`override_required`), or the legally required
    parts it lacks, which no reason overrides (`not_overridable`)."""


class ReviewRequest(BaseModel):
    """The payload of the approval interrupt."""

    campaign_id: str
    round: int
    variants: list[EmailVariant]
    failures: list[VariantFailure]
    insight: SegmentInsight
    notice: Notice | None = None
    """Why an earlier decision was not applied (e.g. a flagged variant without override)."""


class CampaignDecision(BaseModel):
    """A reviewer's answer: approve or edit one variant, reject all, or ask for a new round."""

    action: Literal["approve", "edit", "reject", "another_round"]
    variant_id: str | None = None
    subject: str | None = None
    preheader: str | None = None
    body_text: str | None = None
    call_to_action: str | None = None
    instruction: str | None = Field(default=None, description="What the next round must change.")
    override_reason: str | None = Field(
        default=None, description="Why a flagged variant may still go out (recorded)."
    )
    reviewer: str = "marketing"

    @model_validator(mode="after")
    def _complete(self) -> CampaignDecision:
        if self.action in ("approve", "edit") and not self.variant_id:
            raise ValueError(f"'{self.action}' needs the id of the variant")
        if self.action == "edit" and not any(
            (self.subject, self.preheader, self.body_text, self.call_to_action)
        ):
            raise ValueError("an edit needs at least one edited field")
        if self.action == "another_round" and not (self.instruction or "").strip():
            raise ValueError("another round needs an instruction")
        if self.override_reason is not None and not self.override_reason.strip():
            raise ValueError("an override needs a reason")
        return self


class Override(BaseModel):
    """A recorded compliance override: who, when, why, and which rules."""

    reviewer: str
    at: datetime
    reason: str
    rules: list[str]


class ApprovalOutcome(BaseModel):
    """What the approval step decided (written to the campaign record)."""

    action: Literal["approve", "edit", "reject"]
    reviewer: str
    at: datetime
    variant: EmailVariant | None = None
    """The variant as approved (edited when the action is `edit`)."""
    original_variant_id: str | None = None
    override: Override | None = None
    diff: str = ""
