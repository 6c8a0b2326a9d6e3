"""The delivery worker: sends what the outbox holds through the conversation's channel.

- **At most once per row.** A row is claimed (`delivering`, with a lease) before its
  channel is called, and marked `delivered` with the channel's id after; a worker that dies
  in between leaves the row `delivering`, which the recovery pass turns `dead` (a person
  checks the channel, then retries) unless the channel's sends are idempotent (the
  idempotency key `approval:<id>` is passed to the channel, which then drops a repeat).
- **Nothing without an approval** (invariant 6). Before each send the worker checks again
  that a reply's approval exists, belongs to the conversation, sends exactly this text and
  was applied; a row that fails this is `dead` and its channel is never called.
- **Retries.** A failed attempt is `failed` until `delivery_backoff_s × 2^(n-1)` (at most
  `delivery_backoff_max_s`) has passed; after `delivery_max_attempts` it is `dead`; an
  agent's retry puts a dead row back to `pending`. A turn's outcome becomes `sent` once its
  reply is delivered.

Channels plug in as `ChannelSender`s, one per conversation channel (the channels work adds
Chatwoot and SMTP); a channel without one uses the fallback, `LocalRecordSender`, the demo
"none" channel: it delivers nowhere and records each send in a local file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from agents.core.config import Settings
from agents.core.faults import crash_point
from tools.crm.outbox import DeliveryClaim, approved
from tools.crm.store import CRMStore

logger = logging.getLogger(__name__)


class OutboundMessage(BaseModel):
    """What a channel sends: one outbox row and where it goes."""

    outbox_id: int
    kind: str
    """`reply` (to the customer) or `handoff_note` (a private note for the helpdesk)."""
    channel: str
    idempotency_key: str
    """Pass it to the channel where it has idempotent sends: a repeat is then dropped."""
    conversation_id: str
    conversation_external_id: str | None
    recipient: str
    customer_name: str
    subject: str
    language: str
    body: str


class DeliveryReceipt(BaseModel):
    """The channel took the message: its id there."""

    external_id: str


class DeliveryError(Exception):
    """A channel could not send; `retryable` False makes the row `dead` at once."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class ChannelSender(Protocol):
    """Sends outbox rows on one channel."""

    @property
    def idempotent(self) -> bool:
        """Whether sending twice with one idempotency key delivers once (then a send
        interrupted mid-way is retried on its own; otherwise a person decides)."""
        ...

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Sends, or raises `DeliveryError` (any other exception counts as retryable)."""
        ...


class LocalRecordSender:
    """The demo "none" channel: records each send as one JSON line in a local file
    (nothing reaches anyone). Every call appends a line, as a real channel would send
    again: the file is the honest record of what was sent, and how often."""

    idempotent = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        external_id = f"none:{uuid.uuid4().hex[:16]}"
        line = json.dumps(
            {"external_id": external_id, **message.model_dump(mode="json")}, ensure_ascii=False
        )
        with self.path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # several processes may deliver at once
            out.write(line + "\n")
            out.flush()
        return DeliveryReceipt(external_id=external_id)

    def sent(self) -> list[OutboundMessage]:
        """Everything sent so far, in order (a repeat appears twice)."""
        if not self.path.exists():
            return []
        return [
            OutboundMessage.model_validate(json.loads(line))
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]


@dataclass(frozen=True)
class Delivery:
    """What became of one attempt."""

    outbox_id: int
    status: str
    """`delivered`, `failed` (retried later) or `dead`."""
    error: str | None = None


class DeliveryWorker:
    """Delivers due outbox rows: one inline (`run_next`), or on a thread (`start`)."""

    def __init__(
        self,
        store: CRMStore,
        settings: Settings,
        senders: Mapping[str, ChannelSender],
        fallback: ChannelSender | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.senders = dict(senders)
        self.fallback = fallback
        self.lease = timedelta(seconds=settings.delivery_lease_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def sender_for(self, channel: str) -> ChannelSender | None:
        return self.senders.get(channel, self.fallback)

    def idempotent(self, channel: str) -> bool:
        """Whether a send interrupted on this channel may be sent again on its own."""
        sender = self.sender_for(channel)
        return bool(sender is not None and sender.idempotent)

    def _channels(self) -> frozenset[str] | None:
        return None if self.fallback is not None else frozenset(self.senders)

    def run_next(self) -> Delivery | None:
        """Claims the oldest due row and tries to deliver it; None when nothing is due."""
        claim = self.store.deliveries.claim(self.lease, self._channels())
        return None if claim is None else self.deliver(claim)

    def run_until_idle(self, limit: int = 1000) -> list[Delivery]:
        """Delivers every due row (the command line, the tests)."""
        done: list[Delivery] = []
        while len(done) < limit:
            delivery = self.run_next()
            if delivery is None:
                break
            done.append(delivery)
        return done

    def deliver(self, claim: DeliveryClaim) -> Delivery:
        row = claim.row
        if not approved(claim):
            error = (
                "refused: no applied approval of this conversation sends this text"
                " (nothing is delivered without an approval)"
            )
            logger.error("outbox row %s: %s", row.id, error)
            self.store.deliveries.failed(row.id, error, None)
            return Delivery(row.id, "dead", error)
        sender = self.sender_for(row.channel)
        if sender is None:  # `_channels` filters these out; kept safe all the same
            error = f"no sender for the channel {row.channel!r}"
            return Delivery(row.id, self.store.deliveries.failed(row.id, error, None), error)
        message = OutboundMessage(
            outbox_id=row.id,
            kind=row.kind,
            channel=row.channel,
            idempotency_key=row.idempotency_key,
            conversation_id=row.conversation_id,
            conversation_external_id=claim.conversation_external_id,
            recipient=claim.recipient,
            customer_name=claim.customer_name,
            subject=claim.subject,
            language=row.language,
            body=row.body,
        )
        try:
            receipt = sender.send(message)
        except Exception as exc:
            retryable = not isinstance(exc, DeliveryError) or exc.retryable
            error = f"{type(exc).__name__}: {exc}"
            retry_at = self._retry_at(row.attempts) if retryable else None
            status = self.store.deliveries.failed(row.id, error, retry_at)
            logger.warning("outbox row %s: attempt %s failed: %s", row.id, row.attempts, error)
            return Delivery(row.id, status, error)
        crash_point(self.settings, "after_send")
        self.store.deliveries.delivered(row.id, receipt.external_id)
        return Delivery(row.id, "delivered")

    def _retry_at(self, attempts: int) -> datetime | None:
        if attempts >= self.settings.delivery_max_attempts:
            return None
        delay = min(
            self.settings.delivery_backoff_s * 2 ** max(attempts - 1, 0),
            self.settings.delivery_backoff_max_s,
        )
        return self.store.clock() + timedelta(seconds=delay)

    # --- on a thread -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="delivery-worker", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delivery = self.run_next()
            except Exception:
                logger.exception("delivery worker: claiming a row failed")
                delivery = None
            if delivery is None:
                self._wake.wait(self.settings.worker_poll_s)
                self._wake.clear()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._thread = None
