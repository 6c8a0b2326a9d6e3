"""Typed errors of the CRM store."""

from __future__ import annotations


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
