"""The Chatwoot connector: its Agent Bot webhook in, replies and handoff notes out.

**In** (`ChatwootWebhook.handle`, served at `POST /api/v1/channels/chatwoot/webhook`):

1. The signature first: `X-Chatwoot-Signature` must be `sha256=` and the hex HMAC-SHA256,
   keyed with the webhook secret, of `"{X-Chatwoot-Timestamp}.{raw body}"`; the timestamp
   must be within `chatwoot_max_skew_s` (5 minutes) of now, either way. Otherwise: 401,
   nothing read, nothing stored.
2. `X-Chatwoot-Delivery` (stable across Chatwoot's retries): a delivery already received is
   answered 200 and not acted on again.
3. Only `message_created` events for an incoming, non-private message whose sender is a
   `contact` are acted on. Outgoing, private, activity and template messages, Ressenti's
   own posts (marked in `content_attributes`), messages without text and conversations a
   person holds (`open`, unless `chatwoot_handle_open`) are answered 200 and ignored.
4. The message goes through `Intake` (stored, its turn queued, answered at once; a worker
   drafts). The conversation is Chatwoot's account and conversation ids
   (`external_conversation_id = "{account}:{conversation}"`, so the account is kept on
   the conversation), the customer is found from the contact's e-mail or phone by the
   server: a customer id in the payload is never trusted.

**Out** (`ChatwootSender`, a `ChannelSender`): a reply is an outgoing message on the
conversation; a handoff note is a private note with the handoff package, then
`toggle_status` to `open` (the conversation goes to Chatwoot's human agents), the labels
`priority-<p>` and `emotion-<label>` added to the conversation's, and the custom
attributes `emotion`, `intensity`, `effort`, `urgency` (and `priority`) merged into its.

**Idempotency.** Chatwoot's API has no idempotency key, so `idempotent` is False: a send
interrupted mid-way goes `dead` for a person to check (docs/turn-lifecycle.md). Each
message Ressenti posts carries `content_attributes.ressenti_key` (the outbox row's key), and
a retried row first looks for a message with that key among the conversation's latest
ones: a handoff whose note was posted before a later step failed does not post it twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import ValidationError

from agents.channels.texts import say
from agents.core.config import Settings
from agents.core.lang import Lang, lang_or
from agents.support.delivery import DeliveryError, DeliveryReceipt, OutboundMessage
from agents.support.intake import InboundEnvelope
from tools.crm.database import Clock
from tools.crm.errors import SenderMismatchError
from tools.crm.store import CRMStore
from tools.crm.turns import Received

logger = logging.getLogger(__name__)

CHANNEL = "chatwoot"
KEY_ATTRIBUTE = "ressenti_key"
"""The `content_attributes` key that marks a message Ressenti posted (its outbox key)."""
SIGNATURE_PREFIX = "sha256="


# --- the signature ---------------------------------------------------------------------
def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Chatwoot-Signature` of `body` sent at `timestamp` (unix seconds, as text)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signature_problem(
    secret: str | None,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    max_skew_s: float,
) -> str | None:
    """Why a webhook's signature is refused, or None when it is good."""
    if not secret:
        return "no webhook secret is configured (RESSENTI_CHATWOOT_WEBHOOK_SECRET)"
    if not signature or not timestamp:
        return "X-Chatwoot-Signature and X-Chatwoot-Timestamp are required"
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return "X-Chatwoot-Timestamp is not a unix time"
    if abs(now.timestamp() - sent) > max_skew_s:
        return "X-Chatwoot-Timestamp is too old or in the future"
    expected = sign(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "the signature does not match"
    return None


# --- the payload -----------------------------------------------------------------------
@dataclass(frozen=True)
class IncomingMessage:
    """A customer's message in a Chatwoot webhook, as far as Ressenti reads it."""

    account_id: int
    conversation_id: int
    message_id: int
    text: str
    status: str
    email: str | None
    phone: str | None
    name: str | None
    identifier: str | None
    inbox: str | None

    @property
    def external_conversation_id(self) -> str:
        return f"{self.account_id}:{self.conversation_id}"

    @property
    def external_message_id(self) -> str:
        return f"{self.account_id}:{self.message_id}"


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def read_event(payload: object, *, handle_open: bool) -> IncomingMessage | str:
    """The customer message a webhook carries, or why it is ignored."""
    event = _mapping(payload)
    if not event:
        return "not a JSON object"
    kind = event.get("event")
    if kind != "message_created":
        return f"event {kind!r} is not acted on"
    message_type = event.get("message_type")
    if message_type not in ("incoming", 0):
        return f"a {message_type!r} message (only incoming ones are read)"
    if event.get("private") is True:
        return "a private note"
    sender = _mapping(event.get("sender"))
    if sender.get("type") != "contact":
        return f"sent by a {sender.get('type')!r}, not a contact"
    attributes = _mapping(event.get("content_attributes"))
    if KEY_ATTRIBUTE in attributes:
        return "posted by Ressenti"
    text = _text(event.get("content"))
    if text is None:
        return "no text (attachments are not read)"
    conversation = _mapping(event.get("conversation"))
    account = _int(_mapping(event.get("account")).get("id"))
    if account is None:
        account = _int(conversation.get("account_id"))
    conversation_id = _int(conversation.get("id"))
    message_id = _int(event.get("id"))
    if account is None or conversation_id is None or message_id is None:
        return "no account, conversation or message id"
    status = str(conversation.get("status") or "")
    if status == "open" and not handle_open:
        return "the conversation is open: a person holds it"
    contact = _mapping(_mapping(conversation.get("meta")).get("sender")) or _mapping(
        event.get("contact")
    )
    return IncomingMessage(
        account_id=account,
        conversation_id=conversation_id,
        message_id=message_id,
        text=text,
        status=status,
        email=_text(sender.get("email")) or _text(contact.get("email")),
        phone=_text(sender.get("phone_number")) or _text(contact.get("phone_number")),
        name=_text(sender.get("name")) or _text(contact.get("name")),
        identifier=_text(sender.get("identifier")) or _text(contact.get("identifier")),
        inbox=_text(_mapping(event.get("inbox")).get("name")),
    )


@dataclass(frozen=True)
class WebhookAnswer:
    """What the webhook route answers: an HTTP status and a JSON body."""

    status_code: int
    body: dict[str, Any]


class ChatwootWebhook:
    """Turns Chatwoot's signed webhooks into inbound messages (`handle`)."""

    def __init__(
        self,
        settings: Settings,
        store: CRMStore,
        receive: Callable[[InboundEnvelope], Received],
        *,
        clock: Clock | None = None,
    ) -> None:
        """`receive` is `SupportService.receive` (stores the message, queues its turn)."""
        self.settings = settings
        self.store = store
        self._receive = receive
        self.clock = clock or store.clock

    @property
    def secret(self) -> str | None:
        value = self.settings.chatwoot_webhook_secret
        return value.get_secret_value() if value is not None else None

    def handle(
        self,
        body: bytes,
        *,
        signature: str | None,
        timestamp: str | None,
        delivery: str | None,
    ) -> WebhookAnswer:
        problem = signature_problem(
            self.secret, signature, timestamp, body, self.clock(), self.settings.chatwoot_max_skew_s
        )
        if problem is not None:
            logger.warning("chatwoot webhook refused: %s", problem)
            return WebhookAnswer(401, {"detail": problem})
        delivery = (delivery or "").strip()[:200] or None
        if delivery is not None:
            done = self.store.webhooks.seen(CHANNEL, delivery)
            if done is not None:
                return WebhookAnswer(200, {"status": "duplicate", "detail": done})
        try:
            payload = json.loads(body)
        except ValueError:
            return WebhookAnswer(400, {"detail": "the body is not JSON"})
        read = read_event(payload, handle_open=self.settings.chatwoot_handle_open)
        if isinstance(read, str):
            self._record(delivery, payload, f"ignored: {read}")
            return WebhookAnswer(200, {"status": "ignored", "detail": read})
        answer = self._store(read)
        if answer.status_code == 202:
            self._record(delivery, payload, f"stored {answer.body['message_id']}")
        return answer

    def _store(self, message: IncomingMessage) -> WebhookAnswer:
        try:
            envelope = InboundEnvelope(
                channel=CHANNEL,
                text=message.text,
                external_conversation_id=message.external_conversation_id,
                external_message_id=message.external_message_id,
                sender_email=message.email,
                sender_phone=message.phone,
                sender_name=message.name,
            )
        except ValidationError as exc:
            # Chatwoot marks the message failed and opens the conversation: a person reads it.
            detail = "; ".join(str(error["msg"]) for error in exc.errors())
            return WebhookAnswer(422, {"detail": f"the message cannot be read: {detail}"})
        try:
            received = self._receive(envelope)
        except SenderMismatchError:
            return WebhookAnswer(409, {"detail": "the sender is not this conversation's customer"})
        return WebhookAnswer(
            202,
            {
                "status": "stored",
                "conversation_id": received.conversation_id,
                "message_id": received.message_id,
                "turn_id": received.turn_id,
                "duplicate": received.duplicate,
            },
        )

    def _record(self, delivery: str | None, payload: object, outcome: str) -> None:
        if delivery is not None:
            event = str(_mapping(payload).get("event") or "?")
            self.store.webhooks.record(CHANNEL, delivery, event, outcome)


# --- the API client and the sender -------------------------------------------------------
def conversation_ref(external_id: str | None) -> tuple[int, int]:
    """Chatwoot's account and conversation ids from a conversation's external id."""
    account, _, conversation = (external_id or "").partition(":")
    if not (account.isdigit() and conversation.isdigit()):
        raise DeliveryError(f"not a Chatwoot conversation id: {external_id!r}", retryable=False)
    return int(account), int(conversation)


class ChatwootClient:
    """The few calls of Chatwoot's application API a bot makes (header `api_access_token`)."""

    def __init__(
        self, base_url: str, token: str, *, timeout_s: float = 10.0, transport: Any = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"api_access_token": token, "Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call; raises `DeliveryError` (retryable for a network error, 408, 429, 5xx)."""
        try:
            answer = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Chatwoot unreachable: {type(exc).__name__}: {exc}") from exc
        if answer.status_code >= 400:
            retryable = answer.status_code in (408, 429) or answer.status_code >= 500
            raise DeliveryError(
                f"Chatwoot answered {answer.status_code} to {method} {path}: {answer.text[:300]}",
                retryable=retryable,
            )
        try:
            return answer.json()
        except ValueError:
            return None

    def _conversation(self, account: int, conversation: int) -> str:
        return f"/api/v1/accounts/{account}/conversations/{conversation}"

    def post_message(
        self, account: int, conversation: int, content: str, *, private: bool, key: str
    ) -> int | None:
        made = self.call(
            "POST",
            f"{self._conversation(account, conversation)}/messages",
            {
                "content": content,
                "message_type": "outgoing",
                "private": private,
                "content_attributes": {KEY_ATTRIBUTE: key},
            },
        )
        return _int(_mapping(made).get("id"))

    def posted(self, account: int, conversation: int, key: str) -> int | None:
        """The id of a message with Ressenti's `key` among the conversation's latest ones."""
        listed = self.call("GET", f"{self._conversation(account, conversation)}/messages")
        for message in _mapping(listed).get("payload") or []:
            attributes = _mapping(_mapping(message).get("content_attributes"))
            if attributes.get(KEY_ATTRIBUTE) == key:
                return _int(message.get("id"))
        return None

    def open_conversation(self, account: int, conversation: int) -> None:
        self.call(
            "POST", f"{self._conversation(account, conversation)}/toggle_status", {"status": "open"}
        )

    def add_labels(self, account: int, conversation: int, labels: list[str]) -> None:
        """Adds `labels` to the conversation's (Chatwoot's call replaces the whole list)."""
        path = f"{self._conversation(account, conversation)}/labels"
        current = [str(label) for label in _mapping(self.call("GET", path)).get("payload") or []]
        merged = [*current, *(label for label in labels if label not in current)]
        self.call("POST", path, {"labels": merged})

    def set_attributes(self, account: int, conversation: int, values: dict[str, Any]) -> None:
        self.call(
            "POST",
            f"{self._conversation(account, conversation)}/custom_attributes",
            {"custom_attributes": values, "merge": True},
        )

    def profile(self) -> dict[str, Any]:
        """The token's own profile (`GET /api/v1/profile`): the connection check."""
        return _mapping(self.call("GET", "/api/v1/profile"))


def _label_part(value: object) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(value).lower())


def handoff_note(package: dict[str, Any], lang: Lang) -> str:
    """The private note of a handoff package, in Markdown, in the conversation's language."""
    readings = [_mapping(r) for r in package.get("emotion_trajectory") or []]
    reasons = [_mapping(r) for r in package.get("reasons") or []]
    tried = [str(t) for t in package.get("tried") or []]

    def reading(r: dict[str, Any]) -> str:
        return say(
            "note_reading",
            lang,
            label=r.get("label", "?"),
            intensity=f"{float(r.get('intensity') or 0):.2f}",
            effort=f"{float(r.get('effort') or 0):.2f}",
            urgency=f"{float(r.get('urgency') or 0):.2f}",
        )

    lines = [
        say("note_title", lang, priority=package.get("priority", "?")),
        "",
        say("note_summary", lang),
        str(package.get("summary") or ""),
        "",
        say("note_reasons", lang),
        *(f"- {r.get('rule', '?')}: {r.get('description') or ''}" for r in reasons),
        "",
        say("note_trajectory", lang),
        " → ".join(reading(r) for r in readings) or "—",
        "",
        say("note_tried", lang),
        *([f"- {t}" for t in tried] or [say("note_nothing_tried", lang)]),
        "",
        say("note_opening", lang),
        str(package.get("suggested_opening") or ""),
        "",
        say("note_last_message", lang),
        "> " + str(package.get("last_message") or "").replace("\n", "\n> "),
    ]
    return "\n".join(lines)


class ChatwootSender:
    """The `ChannelSender` of the `chatwoot` channel."""

    idempotent = False
    """Chatwoot's API takes no idempotency key (see the module's docstring)."""

    def __init__(self, client: ChatwootClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        account, conversation = conversation_ref(message.conversation_external_id)
        key = message.idempotency_key
        if message.kind == "reply":
            made = self.client.posted(account, conversation, key)
            if made is None:
                made = self.client.post_message(
                    account, conversation, message.body, private=False, key=key
                )
            return DeliveryReceipt(external_id=f"{account}:{made}")
        if message.kind == "handoff_note":
            return self._hand_off(account, conversation, message)
        raise DeliveryError(f"unknown outbox kind {message.kind!r}", retryable=False)

    def _hand_off(
        self, account: int, conversation: int, message: OutboundMessage
    ) -> DeliveryReceipt:
        try:
            package = _mapping(json.loads(message.body))
        except ValueError as exc:
            raise DeliveryError("the handoff note is not a package", retryable=False) from exc
        key = message.idempotency_key
        note = self.client.posted(account, conversation, key)
        if note is None:
            text = handoff_note(package, lang_or(package.get("lang") or message.language))
            note = self.client.post_message(account, conversation, text, private=True, key=key)
        self.client.open_conversation(account, conversation)
        readings = [_mapping(r) for r in package.get("emotion_trajectory") or []]
        last = readings[-1] if readings else {}
        priority = str(package.get("priority") or "normal")
        labels = [f"priority-{_label_part(priority)}"]
        if last.get("label"):
            labels.append(f"emotion-{_label_part(last['label'])}")
        self.client.add_labels(account, conversation, labels)
        self.client.set_attributes(
            account,
            conversation,
            {
                "emotion": last.get("label"),
                "intensity": last.get("intensity"),
                "effort": last.get("effort"),
                "urgency": last.get("urgency"),
                "priority": priority,
            },
        )
        return DeliveryReceipt(external_id=f"{account}:{note}")


def chatwoot_client(settings: Settings, *, transport: Any = None) -> ChatwootClient | None:
    """The configured Chatwoot client, or None when Chatwoot is not configured."""
    if not settings.chatwoot_base_url or settings.chatwoot_api_token is None:
        return None
    return ChatwootClient(
        settings.chatwoot_base_url,
        settings.chatwoot_api_token.get_secret_value(),
        timeout_s=settings.chatwoot_timeout_s,
        transport=transport,
    )
