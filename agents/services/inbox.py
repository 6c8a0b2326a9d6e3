"""What the agent's inbox shows, read from the support service and the CRM store.

The queue (drafts waiting for a human), one conversation's detail (transcript with a
reading per customer message, trajectory, customer card, cited passages, the draft), the
demo customers a tester can write as, and a new conversation for a simulated inbound
message. Read-only except `open_demo_conversation`, which only opens a conversation
(the message itself goes through `SupportService.stream`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agents.core.emotion import EmotionReading
from agents.core.priority import most_urgent_first
from agents.support.schemas import (
    ApprovalRequest,
    HandoffPackage,
    Passage,
    TurnChannel,
)
from agents.support.service import SupportService
from tools.crm.errors import CRMError
from tools.crm.store import CRMStore
from tools.crm.views import CustomerContext, CustomerProfile, MessageView, StoredReading


@dataclass(frozen=True)
class QueueItem:
    """One line of the approval queue."""

    request: ApprovalRequest
    customer_name: str

    @property
    def conversation_id(self) -> str:
        return self.request.conversation_id


@dataclass(frozen=True)
class TranscriptLine:
    author: str
    """customer | agent | system"""
    name: str | None
    text: str
    sent_at: datetime | None
    reading: EmotionReading | None
    """The emotion reading of a customer message (None for the agent's lines)."""
    pending: bool = False
    """The message of the turn in progress (not in the CRM until the turn ends)."""

    @classmethod
    def of(cls, message: MessageView, stored: StoredReading | None) -> TranscriptLine:
        return cls(
            author=message.author,
            name=message.author_name,
            text=message.text,
            sent_at=message.sent_at,
            reading=stored.reading if stored else None,
        )


@dataclass(frozen=True)
class ConversationDetail:
    conversation_id: str
    subject: str
    channel: str
    transcript: list[TranscriptLine]
    customer: CustomerContext
    passages: list[Passage]
    request: ApprovalRequest | None
    """The pending approval, when the conversation waits for one."""
    trajectory: list[EmotionReading] = field(default_factory=list)
    """This conversation's readings, oldest first (the turn in progress last)."""


def queue_order(request: ApprovalRequest) -> tuple[int, float, float]:
    """Most urgent first: priority, then the strongest emotion, then the most negative."""
    reading = request.reading
    return (most_urgent_first(request.priority), -reading.intensity, reading.valence)


class Inbox:
    def __init__(self, support: SupportService, store: CRMStore) -> None:
        self.support = support
        self.store = store

    def _name(self, customer_id: str) -> str:
        try:
            return self.store.find_customer(customer_id).full_name
        except CRMError:
            return customer_id

    def queue(self) -> list[QueueItem]:
        """Drafts waiting for approval, sorted by priority and emotion."""
        requests = sorted(self.support.pending(), key=queue_order)
        return [QueueItem(r, self._name(r.customer_id)) for r in requests]

    def handoffs(self) -> list[tuple[HandoffPackage, str]]:
        """Handed-off conversations with their packages and the customer's name."""
        return [(p, self._name(p.customer_id)) for p in self.support.handoffs()]

    def detail(self, conversation_id: str) -> ConversationDetail:
        customer_id = self.store.conversation_customer(conversation_id)
        scope = self.store.scope(customer_id)
        conversation = scope.conversation(conversation_id)
        readings = sorted(
            scope.conversation_readings(conversation_id), key=lambda r: (r.created_at, r.id)
        )
        by_message = {r.message_id: r for r in readings}
        transcript = [TranscriptLine.of(m, by_message.get(m.id)) for m in conversation.messages]
        trajectory = [r.reading for r in readings]
        turn = self.support.turn_in_progress(conversation_id)
        if turn is not None and turn.outcome == "awaiting_approval":
            transcript.append(
                TranscriptLine(
                    author="customer",
                    name=None,
                    text=turn.message.text,
                    sent_at=turn.message.received_at,
                    reading=turn.reading,
                    pending=True,
                )
            )
            if turn.reading is not None:
                trajectory.append(turn.reading)
        request = next(
            (r for r in self.support.pending() if r.conversation_id == conversation_id), None
        )
        return ConversationDetail(
            conversation_id=conversation_id,
            subject=conversation.subject,
            channel=conversation.channel,
            transcript=transcript,
            customer=scope.context(current_conversation=conversation_id),
            passages=turn.passages if turn else [],
            request=request,
            trajectory=trajectory,
        )

    def demo_customers(self, limit: int = 30) -> list[CustomerProfile]:
        return self.store.list_customers(limit=limit)

    def open_demo_conversation(self, customer_id: str, channel: TurnChannel, subject: str) -> str:
        """A new conversation for a demo customer, as the channel would open it."""
        return self.store.open_conversation(customer_id, channel=channel, subject=subject[:200])
