"""What the API answers: typed views over the services' values.

The concepts keep their one type (`EmotionReading`, `CheckFinding`, `HandoffPackage`,
`RuleHit`, `Priority`); the views here add what a client needs around them (names, cited
passages, the conversation's KPIs). Fields will be added, never renamed or removed within
`/api/v1/`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from agents.core.emotion import EmotionReading
from agents.core.priority import Priority
from agents.emotion.trajectory import TrajectoryKPIs, Trend
from agents.support.schemas import CheckFinding, HandoffPackage, Passage


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


class Problem(BaseModel):
    """An error answer."""

    detail: str
