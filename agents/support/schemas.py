"""Typed values that cross the support graph: messages, assessments, approvals, handoffs.

Emotion readings and priorities are the base layer's (`agents/core/`), shared by all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.core.priority import Priority

TurnChannel = Literal["email", "chat", "phone", "social", "form"]
Complexity = Literal["low", "medium", "high"]
SensitiveTopic = Literal["legal", "gdpr", "bereavement", "health", "hardship", "fraud"]
Outcome = Literal[
    "awaiting_approval",
    "approved",
    "sent",
    "rejected",
    "taken_over",
    "handed_off",
    "failed",
    "superseded",
]
"""Where a turn ended: waiting for a decision; its reply approved (in the outbox), then
`sent` once the channel took it; rejected; with a person (taken over, handed off, or
`failed`: an error put it there); or superseded by a newer message."""


class InboundMessage(BaseModel):
    """A customer's message as the channel delivers it (its text is untrusted)."""

    conversation_id: str
    text: str = Field(min_length=1, max_length=8000)
    channel: TurnChannel = "email"
    lang: Lang | None = None
    message_id: str | None = None
    received_at: datetime | None = None


class HistoryLine(BaseModel):
    """One earlier message of the conversation."""

    author: Literal["customer", "agent", "system"]
    text: str
    at: datetime | None = None


class Passage(BaseModel):
    """A knowledge-base passage the draft may cite as `[citation_id]`."""

    citation_id: str
    title: str
    text: str
    score: float
    lang: str | None = None
    """The passage's language (`fr`, `en`; None when the source did not say)."""
    section: str = ""
    """The passage's heading trail in its document ("Option Wi-Fi+"): what it is about."""


class Assessment(BaseModel):
    """The model's structured reading of what the customer asks (decisions are code)."""

    summary: str = Field(max_length=400, description="One sentence: what the customer wants.")
    intents: list[str] = Field(max_length=5, description="Distinct requests, a few words each.")
    complexity: Complexity
    sensitive_topics: list[Literal[SensitiveTopic, "none"]] = Field(max_length=4)
    policy_exception_requested: bool = Field(
        description="True if the customer asks for something outside the usual rules."
    )


class RuleHit(BaseModel):
    """One escalation rule that fired, with the values it saw."""

    rule: str
    description: str
    seen: dict[str, float | bool | str | list[str] | None]


class RoutingDecision(BaseModel):
    """Where the turn goes, and why (every fired rule is kept)."""

    escalate: bool
    priority: Priority
    hits: list[RuleHit]


class CheckFinding(BaseModel):
    """One problem the check found in a draft."""

    kind: Literal[
        "ungrounded",
        "unknown_citation",
        "gesture_over_limit",
        "foreign_data",
        "no_citation",
        "repetition",
        "wrong_language",
        "truncated",
    ]
    detail: str
    blocking: bool


DraftMode = Literal["model", "extractive", "closing"]
"""Who wrote a draft: the model (its profile trusts it to draft), or code, from the
passages' best sentences (`agents/support/extractive.py`), or code, the short reply to a
closing message (`agents/support/closing.py`: thanks, settled, feedback; nothing to cite)."""


class ApprovalRequest(BaseModel):
    """What a human sees before deciding (the payload of the interrupt)."""

    conversation_id: str
    customer_id: str
    draft: str
    citations: list[str]
    findings: list[CheckFinding]
    reading: EmotionReading
    priority: Priority
    redrafts: int
    draft_mode: DraftMode = "model"
    """Who wrote the draft (shown to the agent in the inbox)."""


class ApprovalDecision(BaseModel):
    """A human's answer to an approval request."""

    action: Literal["accept", "edit", "respond", "reject", "take_over"]
    text: str | None = Field(default=None, description="The edited reply (for `edit`).")
    instruction: str | None = Field(default=None, description="What to change (for `respond`).")
    reviewer: str = "agent"

    @model_validator(mode="after")
    def _needs_its_text(self) -> ApprovalDecision:
        if self.action == "edit" and not (self.text and self.text.strip()):
            raise ValueError("an edit needs the edited reply text")
        if self.action == "respond" and not (self.instruction and self.instruction.strip()):
            raise ValueError("a redraft request needs an instruction")
        return self


class DecisionToApply(BaseModel):
    """What resumes a draft's interrupt: the decision, and the approval row that claimed it
    (the key of its effects, applied once)."""

    approval_id: int
    decision: ApprovalDecision


class HandoffPackage(BaseModel):
    """Everything the person taking over needs, ready on arrival."""

    conversation_id: str
    customer_id: str
    lang: Lang
    priority: Priority
    reasons: list[RuleHit]
    summary: str
    emotion_trajectory: list[EmotionReading]
    tried: list[str]
    suggested_opening: str
    last_message: str
