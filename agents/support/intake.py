"""Intake: the only way a customer message enters Ressenti (invariant 1, inbound first).

Every channel (the HTTP API, a helpdesk webhook, a mailbox, the app's demo simulation,
`ressenti support run`) hands an `InboundEnvelope` to `Intake.receive`, which stores the
message and queues its turn in one transaction before anything reads it, and answers at
once; a `TurnWorker` runs the turn later. The same message delivered twice by its channel
(same `external_message_id`) is stored once (`Received.duplicate`).

The conversation is found server-side: by its id (callers inside Ressenti), else by the
channel's own conversation id, else a new one is opened; a new conversation's customer is
the CRM customer with the sender's e-mail (or phone), else a new customer marked
unverified. Nothing in the envelope can choose another customer's conversation: a sender
who is not the conversation's customer is refused and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from agents.core.config import Settings
from agents.core.lang import Lang
from tools.crm.errors import SenderMismatchError
from tools.crm.store import CRMStore
from tools.crm.turns import Received

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 8000
"""The longest message a turn reads (`InboundMessage.text`); a longer one is refused."""


class InboundEnvelope(BaseModel):
    """A customer message as a channel hands it over (every field is untrusted input)."""

    channel: str = Field(min_length=1, max_length=20)
    """The conversation's channel: `email`, `chat`, `phone`, `social`, `form`…"""
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    conversation_id: str | None = Field(default=None, max_length=40)
    """Ressenti's own conversation id (callers inside Ressenti only: the app, the CLI)."""
    external_conversation_id: str | None = Field(default=None, max_length=200)
    """The channel's id of the conversation (a helpdesk conversation, a mail thread)."""
    external_message_id: str | None = Field(default=None, max_length=200)
    """The channel's id of the message: the key that makes a redelivery a no-op."""
    customer_id: str | None = Field(default=None, max_length=40)
    """The CRM customer of a new conversation, when the caller knows it (the app's demo
    simulation writes as a chosen demo customer)."""
    sender_email: str | None = Field(default=None, max_length=254)
    sender_phone: str | None = Field(default=None, max_length=40)
    sender_name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    lang: Lang | None = None
    received_at: datetime | None = None


class Intake:
    """Stores inbound messages first and queues their turns (`receive`)."""

    def __init__(
        self,
        store: CRMStore,
        settings: Settings,
        *,
        on_received: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.settings = settings
        self._on_received = on_received

    def receive(self, envelope: InboundEnvelope) -> Received:
        """Stores the message and queues its turn (one transaction); idempotent on the
        channel's message id. Raises `SenderMismatchError` (logged) for a sender who is not
        the conversation's customer, `ConversationNotFoundError` for an unknown id."""
        try:
            received = self.store.turns.receive(
                text=envelope.text,
                channel=envelope.channel,
                conversation_id=envelope.conversation_id,
                external_conversation_id=envelope.external_conversation_id,
                external_message_id=envelope.external_message_id,
                customer_id=envelope.customer_id,
                sender_email=envelope.sender_email,
                sender_phone=envelope.sender_phone,
                sender_name=envelope.sender_name,
                subject=envelope.subject,
                language=envelope.lang,
                received_at=envelope.received_at,
                reopen_to_human=timedelta(hours=self.settings.reopen_to_human_h),
            )
        except SenderMismatchError:
            logger.warning(
                "inbound message refused: its sender is not the conversation's customer"
                " (channel %s, conversation %s)",
                envelope.channel,
                envelope.conversation_id or envelope.external_conversation_id,
            )
            raise
        if received.turn_id is not None and not received.duplicate:
            self._on_received()
        return received
