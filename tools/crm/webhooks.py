"""Webhook deliveries already received from a helpdesk (`CRMStore.webhooks`).

Chatwoot retries a webhook with the same `X-Chatwoot-Delivery` id; the connector asks
`seen` first and answers a redelivery without acting, and `record`s each delivery once it
has acted on it (a crash in between is harmless: the message itself is idempotent on its
channel id)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from tools.crm.database import Database
from tools.crm.models import WebhookDelivery


class WebhookDeliveries:
    """The `webhook_deliveries` table of one CRM database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def seen(self, channel: str, delivery_id: str) -> str | None:
        """What was done with this delivery, or None if it was never received."""
        with self.db.reading() as session:
            return session.scalar(
                select(WebhookDelivery.outcome).where(
                    WebhookDelivery.channel == channel,
                    WebhookDelivery.delivery_id == delivery_id,
                )
            )

    def record(self, channel: str, delivery_id: str, event: str, outcome: str) -> bool:
        """Keeps a delivery's id and outcome; False if another request recorded it first."""
        try:
            with self.db.transaction() as session:
                session.add(
                    WebhookDelivery(
                        channel=channel[:20],
                        delivery_id=delivery_id[:200],
                        event=event[:60],
                        outcome=outcome[:200],
                        received_at=self.db.clock(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def forget_older_than(self, age: timedelta) -> int:
        """Drops the ids of deliveries received more than `age` ago (a helpdesk stops
        retrying long before); returns how many."""
        with self.db.transaction() as session:
            done = session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.received_at < self.db.clock() - age)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]
