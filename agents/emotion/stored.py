"""Readings kept in the CRM store, as a conversation's trajectory.

The store gives each reading back as the one reading type with its stored identity
(`tools.crm.views.StoredReading`); this module puts a conversation's readings in time
order, so its trajectory and KPIs can be computed from what was stored.
"""

from __future__ import annotations

from agents.emotion.trajectory import TimedReading
from tools.crm.scope import CustomerScope


def conversation_trajectory(scope: CustomerScope, conversation_id: str) -> list[TimedReading]:
    """The conversation's stored readings in order (scoped: only the customer's own)."""
    rows = scope.conversation_readings(conversation_id)
    return sorted(((row.created_at, row.reading) for row in rows), key=lambda p: p[0])
