"""The e-mail channel's side of the CRM: mailbox cursors and mail threads.

- **Cursors.** The mail poller remembers, per mailbox folder, the highest IMAP UID it
  handled under the folder's UIDVALIDITY (`mail_cursors`, revision 0007). A cursor only
  moves forward; a new UIDVALIDITY starts the folder again from the beginning (the
  inbound messages' Message-IDs keep a mail from being stored twice).
- **Threads.** A mail thread is one conversation: its `external_id` is the thread's root
  Message-ID. The ids a mail names in `In-Reply-To` and `References` are looked up among
  the e-mail conversations' roots, the Message-IDs of the inbound mails stored
  (`messages.external_id`) and those of the replies Ressenti sent (`outbox.external_id`,
  recorded by the delivery worker from the SMTP sender's receipt), so a customer's answer
  to our reply joins the conversation it answers.
- **Reply headers.** The `In-Reply-To` and `References` of an outgoing reply: the
  Message-ID of the inbound mail its draft answered, after the thread's earlier ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tools.crm.database import Database
from tools.crm.errors import RecordNotFoundError
from tools.crm.models import Approval, Conversation, MailCursor, Message, OutboxMessage, Turn

CHANNEL = "email"
MAX_REFERENCES = 12
"""The most ids an outgoing `References` header names: the root and the latest others
(RFC 5322 lets a long thread drop ids in the middle)."""


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class ReplyHeaders:
    """Threading headers of one outgoing reply (Message-IDs without angle brackets)."""

    in_reply_to: str | None
    references: tuple[str, ...]


class MailThreads:
    """Mailbox cursors and thread lookups over one CRM database (`CRMStore.mail`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- cursors -------------------------------------------------------------------------
    def cursor(self, mailbox: str) -> Cursor | None:
        with self.db.reading() as session:
            row = session.get(MailCursor, mailbox)
            return None if row is None else Cursor(row.uidvalidity, row.last_uid)

    def advance(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        """Records that every mail up to `uid` of the folder was handled (never backwards
        under one UIDVALIDITY; a new UIDVALIDITY replaces the cursor)."""
        with self.db.transaction() as session:
            row = session.get(MailCursor, mailbox, with_for_update=True)
            now = self.db.clock()
            if row is None:
                session.add(
                    MailCursor(
                        mailbox=mailbox, uidvalidity=uidvalidity, last_uid=uid, updated_at=now
                    )
                )
            elif row.uidvalidity != uidvalidity:
                row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, uid, now
            elif uid > row.last_uid:
                row.last_uid, row.updated_at = uid, now

    # --- threads -------------------------------------------------------------------------
    def conversation_of(self, message_ids: Sequence[str]) -> str | None:
        """The e-mail conversation that one of these Message-IDs belongs to (the most
        recent id first: `In-Reply-To`, then `References` from the end), or None."""
        ids = [i for i in dict.fromkeys(message_ids) if i]
        if not ids:
            return None
        with self.db.reading() as session:
            for message_id in ids:
                found = _conversation_of(session, message_id)
                if found is not None:
                    return found
        return None

    def reply_headers(self, outbox_id: int) -> ReplyHeaders:
        """`In-Reply-To` and `References` of an outbox reply: the inbound mail its approval
        answered, after the conversation's root and the thread's earlier ids."""
        with self.db.reading() as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is None:
                raise RecordNotFoundError("outbox", str(outbox_id))
            conversation = session.get(Conversation, row.conversation_id)
            assert conversation is not None
            answered: str | None = None
            if row.approval_id is not None:
                answered = session.scalar(
                    select(Message.external_id)
                    .join(Approval, Approval.message_id == Message.id)
                    .where(Approval.id == row.approval_id)
                )
                if answered is None:  # an approval from before `message_id` was set
                    answered = session.scalar(
                        select(Message.external_id)
                        .join(Turn, Turn.message_id == Message.id)
                        .join(Approval, Approval.turn_id == Turn.id)
                        .where(Approval.id == row.approval_id)
                    )
            inbound: list[tuple[datetime, str]] = [
                (at, str(i))
                for at, i in session.execute(
                    select(Message.sent_at, Message.external_id).where(
                        Message.conversation_id == conversation.id,
                        Message.channel == CHANNEL,
                        Message.external_id.is_not(None),
                    )
                )
            ]
            sent: list[tuple[datetime, str]] = [
                (at or conversation.started_at, str(i))
                for at, i in session.execute(
                    select(OutboxMessage.delivered_at, OutboxMessage.external_id).where(
                        OutboxMessage.conversation_id == conversation.id,
                        OutboxMessage.channel == CHANNEL,
                        OutboxMessage.external_id.is_not(None),
                        OutboxMessage.id != outbox_id,
                        OutboxMessage.delivered_at.is_not(None),
                    )
                )
            ]
        earlier = [i for _, i in sorted(inbound + sent, key=lambda pair: pair[0])]
        if answered is None and inbound:
            answered = max(inbound, key=lambda pair: pair[0])[1]
        chain = [conversation.external_id or "", *earlier]
        if answered is not None:
            chain = [i for i in chain if i != answered] + [answered]
        chain = list(dict.fromkeys(i for i in chain if i))
        if len(chain) > MAX_REFERENCES:
            chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
        return ReplyHeaders(in_reply_to=answered, references=tuple(chain))


def _conversation_of(session: Session, message_id: str) -> str | None:
    by_root = session.scalar(
        select(Conversation.id).where(
            Conversation.channel == CHANNEL, Conversation.external_id == message_id
        )
    )
    if by_root is not None:
        return str(by_root)
    by_inbound = session.scalar(
        select(Message.conversation_id).where(
            Message.channel == CHANNEL, Message.external_id == message_id
        )
    )
    if by_inbound is not None:
        return str(by_inbound)
    by_reply = session.scalar(
        select(OutboxMessage.conversation_id)
        .join(Conversation, Conversation.id == OutboxMessage.conversation_id)
        .where(
            Conversation.channel == CHANNEL,
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.external_id == message_id,
        )
    )
    return None if by_reply is None else str(by_reply)
