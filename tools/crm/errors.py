"""Typed errors of the CRM store."""

from __future__ import annotations

from datetime import datetime


class CRMError(Exception):
    """Base of every CRM store error."""


class CustomerNotFoundError(CRMError):
    """No customer has this id or email."""


class ConversationNotFoundError(CRMError):
    """No conversation has this id."""


class ScopeError(CRMError):
    """A scoped read or write named a record it may not see.

    Both subclasses carry the same message, which names the record and not its owner, so
    that what it says cannot tell a record of another customer from one that does not exist.
    """

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{kind} {record_id!r} is not on this customer's file")


class AccessDeniedError(ScopeError):
    """The record exists but belongs to another customer (or another conversation)."""


class RecordNotFoundError(ScopeError):
    """The record does not exist at all."""


class InvalidWriteError(CRMError):
    """A write was refused because its values break a rule of the store."""


class ConversationStateError(CRMError):
    """The action does not fit the conversation's state (e.g. resolving while a draft waits)."""

    def __init__(self, conversation_id: str, state: str, action: str) -> None:
        self.conversation_id = conversation_id
        self.state = state
        self.action = action
        super().__init__(f"conversation {conversation_id} is {state}: cannot {action}")


class NothingPendingError(CRMError, LookupError):
    """No draft waits on this interrupt (or in this conversation)."""


class AlreadyDecidedError(CRMError):
    """The draft already has its decision: the loser of a race is told who won, and when."""

    def __init__(self, interrupt_id: str, decision: str, reviewer: str, at: datetime) -> None:
        self.interrupt_id = interrupt_id
        self.decision = decision
        self.reviewer = reviewer
        self.at = at
        super().__init__(
            f"already decided by {reviewer} at {at.isoformat(timespec='seconds')} ({decision})"
        )


class AlreadyAssignedError(CRMError):
    """Someone else already owns the conversation."""

    def __init__(self, conversation_id: str, assignee: str) -> None:
        self.conversation_id = conversation_id
        self.assignee = assignee
        super().__init__(f"conversation {conversation_id} is already with {assignee}")


class LeaseLostError(CRMError):
    """A worker wrote to a turn (or an outbox row) whose lease it no longer holds."""


class SenderMismatchError(CRMError):
    """An inbound message names a sender who is not the conversation's customer."""
