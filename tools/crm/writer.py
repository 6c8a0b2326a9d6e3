"""Writes to ONE conversation's records, for the graph's commit and handoff steps only.

The read tools never hold a writer. A writer is bound to a conversation (and so to its
customer) when it is made; every write takes the customer id from that conversation, and
any message or approval it refers to must belong to the same conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.core.diff import edit_diff
from agents.core.emotion import EmotionReading
from tools.crm.database import Database, new_id
from tools.crm.errors import (
    AccessDeniedError,
    ConversationNotFoundError,
    InvalidWriteError,
    RecordNotFoundError,
)
from tools.crm.models import (
    Approval,
    Conversation,
    EmotionReadingRow,
    Message,
    OutboxMessage,
    Ticket,
)
from tools.crm.readings import row_values

Author = Literal["customer", "agent", "assistant", "system"]
Decision = Literal["accept", "edit", "respond", "reject", "take_over"]
SENDABLE_DECISIONS: frozenset[str] = frozenset({"accept", "edit"})


class CRMWriter:
    """Side effects on one conversation: messages, readings, approvals, outbox, handoff."""

    def __init__(self, store: Database, conversation_id: str) -> None:
        self._store = store
        with store.reading() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise ConversationNotFoundError(f"no conversation with id {conversation_id!r}")
            self.conversation_id = conversation.id
            self.customer_id = conversation.customer_id
            self.channel = conversation.channel
            self.language = conversation.language

    def _own_message(self, session: Session, message_id: int) -> Message:
        message = session.get(Message, message_id)
        if message is None:
            raise RecordNotFoundError("message", str(message_id))
        if message.conversation_id != self.conversation_id:
            raise AccessDeniedError("message", str(message_id))
        return message

    def log_message(
        self,
        author: Author,
        text: str,
        *,
        author_name: str | None = None,
        sent_at: datetime | None = None,
    ) -> int:
        """Append a message to the conversation; returns its id."""
        if not text.strip():
            raise InvalidWriteError("a message needs some text")
        with self._store.transaction() as session:
            message = Message(
                conversation_id=self.conversation_id,
                customer_id=self.customer_id,
                author=author,
                author_name=author_name,
                channel=self.channel,
                sent_at=sent_at or self._store.clock(),
                text=text,
            )
            session.add(message)
            session.flush()
            return message.id

    def record_emotion_reading(self, message_id: int, reading: EmotionReading) -> int:
        """Store a reading of one message of this conversation; returns its id."""
        with self._store.transaction() as session:
            self._own_message(session, message_id)
            row = EmotionReadingRow(
                **row_values(
                    reading,
                    message_id=message_id,
                    conversation_id=self.conversation_id,
                    customer_id=self.customer_id,
                    created_at=self._store.clock(),
                )
            )
            session.add(row)
            session.flush()
            return row.id

    def record_approval(
        self,
        *,
        decision: Decision,
        reviewer: str,
        draft_text: str,
        final_text: str | None = None,
        instruction: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Record a human decision on a draft, with the diff of their edit; returns its id."""
        if decision in SENDABLE_DECISIONS and not (final_text or draft_text).strip():
            raise InvalidWriteError("an accepted reply cannot be empty")
        if decision == "accept" and final_text is None:
            final_text = draft_text
        with self._store.transaction() as session:
            if message_id is not None:
                self._own_message(session, message_id)
            approval = Approval(
                conversation_id=self.conversation_id,
                customer_id=self.customer_id,
                message_id=message_id,
                decision=decision,
                reviewer=reviewer,
                draft_text=draft_text,
                final_text=final_text,
                diff=edit_diff(draft_text, final_text) if final_text is not None else "",
                instruction=instruction,
                created_at=self._store.clock(),
            )
            session.add(approval)
            session.flush()
            return approval.id

    def queue_reply(self, approval_id: int) -> int:
        """Put the approved text of an approval in the outbox; returns the outbox id.

        Refused unless the approval belongs to this conversation and was an accept or edit:
        nothing reaches a customer without a human approval.
        """
        with self._store.transaction() as session:
            approval = session.get(Approval, approval_id)
            if approval is None:
                raise RecordNotFoundError("approval", str(approval_id))
            if approval.conversation_id != self.conversation_id:
                raise AccessDeniedError("approval", str(approval_id))
            if approval.decision not in SENDABLE_DECISIONS or not approval.final_text:
                raise InvalidWriteError(
                    f"approval {approval_id} ({approval.decision}) does not approve a reply"
                )
            already = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.approval_id == approval_id)
            )
            if already:
                raise InvalidWriteError(f"approval {approval_id} is already in the outbox")
            outgoing = OutboxMessage(
                conversation_id=self.conversation_id,
                customer_id=self.customer_id,
                approval_id=approval_id,
                channel=self.channel,
                language=self.language,
                body=approval.final_text,
                status="pending",
                kind="reply",
                idempotency_key=f"approval:{approval_id}",
                attempts=0,
                next_attempt_at=self._store.clock(),
                created_at=self._store.clock(),
            )
            session.add(outgoing)
            session.flush()
            return outgoing.id

    def open_handoff_ticket(
        self,
        *,
        subject: str,
        summary: str,
        priority: Literal["low", "normal", "high", "urgent"] = "high",
        category: str = "handoff",
    ) -> str:
        """Open a ticket for the human queue and put the conversation with a person."""
        with self._store.transaction() as session:
            ticket = Ticket(
                id=new_id("TK"),
                customer_id=self.customer_id,
                conversation_id=self.conversation_id,
                opened_at=self._store.clock(),
                status="open",
                priority=priority,
                category=category,
                subject=subject,
                summary=summary,
            )
            session.add(ticket)
            conversation = session.get(Conversation, self.conversation_id)
            if conversation is not None:
                conversation.status = "with_human"
                conversation.human_at = self._store.clock()
            return ticket.id

    def outbox(self) -> Sequence[OutboxMessage]:
        """This conversation's outgoing messages (for the commit step and tests)."""
        with self._store.reading() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.conversation_id == self.conversation_id)
                    .order_by(OutboxMessage.id)
                )
            )
