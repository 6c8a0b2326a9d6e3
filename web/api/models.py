"""What the API answers: typed views over the services' values.

The concepts keep their one type (`EmotionReading`, `CheckFinding`, `HandoffPackage`,
`RuleHit`, `Priority`); the views here add what a client needs around them (names, cited
passages, the conversation's KPIs). Fields will be added, never renamed or removed within
`/api/v1/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.core.priority import Priority
from agents.emotion.trajectory import TrajectoryKPIs, Trend
from agents.support.schemas import CheckFinding, DraftMode, HandoffPackage, Passage


class CitedPassage(BaseModel):
    """A knowledge-base passage the draft cites as `[citation_id]`."""

    citation_id: str
    title: str
    text: str
    score: float

    @classmethod
    def of(cls, passage: Passage) -> CitedPassage:
        return cls.model_validate(passage.model_dump())


class ApprovalView(BaseModel):
    """A draft waiting for a human decision."""

    approval_id: str = Field(
        description="What a decision names: `POST /approvals/{approval_id}/decision` "
        "(the draft's interrupt: a newer draft has another one)."
    )
    conversation_id: str
    customer_id: str
    customer_name: str
    draft: str
    citations: list[CitedPassage] = Field(
        description="The passages the draft cites, in the order it cites them."
    )
    findings: list[CheckFinding] = Field(description="What the draft check found.")
    reading: EmotionReading = Field(description="The reading of the customer's message.")
    priority: Priority
    redrafts: int
    draft_mode: DraftMode = Field(
        description="Who wrote the draft: `model`, `extractive` (composed by code from "
        "the cited passages, where the model's profile does not trust it to draft), or "
        "`closing` (code's short reply to a message that only thanks or says it is settled)."
    )


class HandoffView(HandoffPackage):
    """A conversation a person owns now, with its handoff package."""

    customer_name: str


class MessageView(BaseModel):
    """One message of the transcript."""

    author: str = Field(description="customer | agent | system")
    name: str | None
    text: str
    sent_at: datetime | None
    reading: EmotionReading | None = Field(description="The reading of a customer message.")
    pending: bool = Field(description="The message of the turn in progress.")


class TrajectoryView(BaseModel):
    """The KPIs of the conversation's emotional trajectory."""

    messages: int
    start_valence: float
    end_valence: float
    lowest_valence: float
    peak_intensity: float
    valence_slope: float
    trend: Trend
    dipped: bool = Field(description="Whether a message fell below the recovery threshold.")
    recovered: bool
    recovery_minutes: float | None
    max_effort: float
    effort_slope: float
    flags: list[str]

    @classmethod
    def of(cls, kpis: TrajectoryKPIs) -> TrajectoryView:
        return cls(
            messages=kpis.messages,
            start_valence=kpis.start_valence,
            end_valence=kpis.end_valence,
            lowest_valence=kpis.lowest_valence,
            peak_intensity=kpis.peak_intensity,
            valence_slope=kpis.valence_slope,
            trend=kpis.trend,
            dipped=kpis.recovery.dipped,
            recovered=kpis.recovery.recovered,
            recovery_minutes=kpis.recovery.minutes,
            max_effort=kpis.max_effort,
            effort_slope=kpis.effort_slope,
            flags=kpis.flags,
        )


class DeliveryView(BaseModel):
    """One outbox row of the conversation: a reply, or a handoff note for a helpdesk."""

    id: int
    kind: str = Field(description="reply | handoff_note")
    status: str = Field(description="pending | delivering | delivered | failed | dead")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    external_id: str | None = Field(description="The channel's id of what was delivered.")
    delivered_at: datetime | None
    created_at: datetime


class ConversationView(BaseModel):
    """One conversation: its messages with their readings and the trajectory's KPIs."""

    conversation_id: str
    subject: str
    channel: str
    customer_id: str
    customer_name: str
    messages: list[MessageView]
    trajectory: TrajectoryView | None = Field(
        description="None while no customer message has a reading."
    )
    pending_approval: ApprovalView | None
    deliveries: list[DeliveryView] = Field(
        description="What was given to the channel to deliver, oldest first, with its status."
    )


class CustomerRef(BaseModel):
    """Who wrote, as the channel knows them (matched to the CRM on the server)."""

    external_id: str | None = Field(
        default=None, max_length=200, description="Not used to find the customer yet."
    )
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)


class InboundRequest(BaseModel):
    """A customer message from a channel."""

    channel: str = Field(min_length=1, max_length=20, pattern=r"^[a-z0-9_-]+$")
    external_conversation_id: str = Field(min_length=1, max_length=200)
    external_message_id: str = Field(
        min_length=1, max_length=200, description="The key that makes a redelivery a no-op."
    )
    customer: CustomerRef = Field(default_factory=CustomerRef)
    text: str = Field(min_length=1, max_length=8000)
    lang: Lang | None = None
    sent_at: datetime | None = None

    @field_validator("text")
    @classmethod
    def _some_text(cls, value: str) -> str:
        # Blank text is refused here (422), not by the store after the request was taken.
        if not value.strip():
            raise ValueError("the message has no text")
        return value


class InboundAccepted(BaseModel):
    """The message is stored; a worker drafts (follow `GET /conversations/{id}`)."""

    conversation_id: str
    message_id: int
    turn_id: str | None = Field(description="None when a person owns the conversation.")
    duplicate: bool = Field(description="The message was received before.")


class DecisionRequest(BaseModel):
    """A person's decision on a waiting draft."""

    action: Literal["accept", "edit", "respond", "reject", "take_over"]
    text: str | None = Field(default=None, max_length=8000, description="For `edit`.")
    instruction: str | None = Field(default=None, max_length=2000, description="For `respond`.")
    reviewer: str | None = Field(
        default=None,
        max_length=60,
        description="Who decided (recorded with the token's name); default: the token's name.",
    )
    override_reason: str | None = Field(
        default=None, max_length=500, description="Sends an edit despite blocking findings."
    )


class DecisionDone(BaseModel):
    approval_id: int = Field(description="The recorded approval.")
    action: str
    outcome: str | None = Field(description="The turn's outcome (None while a redraft runs).")
    conversation_id: str


class RetryQueued(BaseModel):
    outbox_id: int
    status: str


class Problem(BaseModel):
    """An error answer."""

    detail: str
