"""A Chatwoot simulator: a real HTTP server on loopback speaking the part of Chatwoot's
application API a bot uses, and sending webhooks as Chatwoot sends them.

Built from Chatwoot's own API description (`swagger/paths/application/conversation/` in
chatwoot/chatwoot: messages, toggle_status, labels, custom_attributes; `GET /api/v1/profile`)
and its webhook behaviour (`lib/webhooks/trigger.rb`: `X-Chatwoot-Signature` =
`sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`, `X-Chatwoot-Timestamp`,
`X-Chatwoot-Delivery`, a 5 s timeout). Payloads have Chatwoot's shape: a string
`message_type` at the top, integers in `conversation.messages[]`, `sender.type`,
`conversation.status`, `conversation.meta.sender`, `conversation.contact_inbox`,
`account`, `inbox`.

For tests and benchmarks only (not product code). It records every API call it gets
(`calls`), can be stopped and started again on the same port (Chatwoot down), and, with
`echo`, sends a webhook for each message created through the API, as Chatwoot does for a
bot's own posts (Ressenti must ignore them).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
CONVERSATION = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/(\w+)$")


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
    """How Chatwoot signs a webhook body (written from its documentation)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@dataclass
class Call:
    """One API call the simulator received."""

    method: str
    path: str
    token: str | None
    body: Any


@dataclass
class Contact:
    id: int
    name: str
    email: str | None = None
    phone_number: str | None = None
    identifier: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone_number": self.phone_number,
            "identifier": self.identifier,
            "thumbnail": "",
            "additional_attributes": {},
            "custom_attributes": {},
            "type": "contact",
        }


@dataclass
class SimMessage:
    id: int
    content: str
    message_type: str
    private: bool
    sender: dict[str, Any]
    content_attributes: dict[str, Any]
    created_at: int

    def item(self, account_id: int, conversation_id: int) -> dict[str, Any]:
        """As listed inside a conversation (integer `message_type`)."""
        return {
            "id": self.id,
            "content": self.content,
            "account_id": account_id,
            "conversation_id": conversation_id,
            "message_type": MESSAGE_TYPES[self.message_type],
            "content_type": "text",
            "content_attributes": self.content_attributes,
            "private": self.private,
            "created_at": self.created_at,
            "sender_type": "Contact" if self.sender.get("type") == "contact" else "User",
            "sender_id": self.sender.get("id"),
        }


@dataclass
class SimConversation:
    account_id: int
    id: int
    contact: Contact
    status: str = "pending"
    inbox_id: int = 1
    messages: list[SimMessage] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    source_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def payload(self) -> dict[str, Any]:
        now = int(time.time())
        return {
            "id": self.id,
            "account_id": self.account_id,
            "inbox_id": self.inbox_id,
            "status": self.status,
            "channel": "Channel::WebWidget",
            "can_reply": True,
            "contact_inbox": {
                "id": self.id,
                "contact_id": self.contact.id,
                "inbox_id": self.inbox_id,
                "source_id": self.source_id,
                "hmac_verified": False,
            },
            "messages": [m.item(self.account_id, self.id) for m in self.messages[-1:]],
            "labels": list(self.labels),
            "meta": {
                "sender": self.contact.payload(),
                "assignee": None,
                "team": None,
                "hmac_verified": False,
            },
            "additional_attributes": {},
            "custom_attributes": dict(self.custom_attributes),
            "unread_count": 1,
            "timestamp": now,
            "created_at": now,
        }


class ChatwootSimulator:
    """The simulator: `start()`, `url`, then `conversation(...)`, `customer_says(...)`,
    `calls`, `stop()`."""

    def __init__(
        self,
        *,
        token: str = "bot-token",
        secret: str = "webhook-secret",
        webhook_url: str | None = None,
        account_id: int = 1,
        account_name: str = "Lumio",
        inbox_name: str = "Site web",
        echo: bool = False,
        port: int = 0,
    ) -> None:
        self.token = token
        self.secret = secret
        self.webhook_url = webhook_url
        self.account_id = account_id
        self.account_name = account_name
        self.inbox_name = inbox_name
        self.echo = echo
        self.port = port
        self.calls: list[Call] = []
        self.conversations: dict[tuple[int, int], SimConversation] = {}
        self.webhook_answers: list[httpx.Response] = []
        self.fail_with: int | None = None
        """An HTTP status every API call answers with (None: serve normally)."""
        self._ids = itertools.count(1001)
        self._contact_ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the server ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChatwootSimulator:
        """Serve on loopback (the same port again after a `stop`)."""
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                status, answer = simulator._route(
                    self.command, self.path, self.headers.get("api_access_token"), body
                )
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (calls are then refused: Chatwoot down)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ChatwootSimulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- the API -------------------------------------------------------------------------
    def _route(self, method: str, path: str, token: str | None, body: Any) -> tuple[int, Any]:
        path = path.split("?", 1)[0]
        with self._lock:
            self.calls.append(Call(method, path, token, body))
            if self.fail_with is not None:
                return self.fail_with, {"error": "simulated failure"}
            if token != self.token:
                return 401, {"errors": ["You need to sign in or sign up before continuing."]}
            if path == "/api/v1/profile" and method == "GET":
                return 200, {
                    "id": 7,
                    "name": "Ressenti bot",
                    "email": "bot@lumio.example",
                    "accounts": [{"id": self.account_id, "name": self.account_name}],
                }
            match = CONVERSATION.match(path)
            if match is None:
                return 404, {"error": "not found"}
            account, number, action = int(match[1]), int(match[2]), match[3]
            conversation = self.conversations.get((account, number))
            if conversation is None:
                return 404, {"error": "Resource could not be found"}
            return self._conversation_call(conversation, method, action, body or {})

    def _conversation_call(
        self, conversation: SimConversation, method: str, action: str, body: dict[str, Any]
    ) -> tuple[int, Any]:
        if action == "messages" and method == "GET":
            return 200, {
                "meta": {"labels": conversation.labels, "contact": conversation.contact.payload()},
                "payload": [
                    m.item(conversation.account_id, conversation.id)
                    for m in conversation.messages[-20:]
                ],
            }
        if action == "messages" and method == "POST":
            content = body.get("content")
            if not isinstance(content, str) or not content:
                return 422, {"error": "content is required"}
            message = SimMessage(
                id=next(self._ids),
                content=content,
                message_type=str(body.get("message_type") or "outgoing"),
                private=bool(body.get("private", False)),
                sender={"id": 7, "name": "Ressenti bot", "type": "agent_bot"},
                content_attributes=dict(body.get("content_attributes") or {}),
                created_at=int(time.time()),
            )
            conversation.messages.append(message)
            if self.echo and self.webhook_url:
                threading.Thread(
                    target=self._send_message_event, args=(conversation, message), daemon=True
                ).start()
            item = message.item(conversation.account_id, conversation.id)
            item["message_type"] = message.message_type  # the create answer says it in words
            return 200, item
        if action == "toggle_status" and method == "POST":
            status = body.get("status")
            if status not in ("open", "resolved", "pending", "snoozed"):
                return 422, {"error": "unknown status"}
            conversation.status = status
            return 200, {
                "meta": {},
                "payload": {
                    "success": True,
                    "current_status": status,
                    "conversation_id": conversation.id,
                },
            }
        if action == "labels" and method == "GET":
            return 200, {"payload": list(conversation.labels)}
        if action == "labels" and method == "POST":
            labels = body.get("labels")
            if not isinstance(labels, list):
                return 422, {"error": "labels must be a list"}
            conversation.labels = [str(label) for label in labels]  # replaces the list
            return 200, {"payload": list(conversation.labels)}
        if action == "custom_attributes" and method == "POST":
            values = body.get("custom_attributes")
            if not isinstance(values, dict):
                return 422, {"error": "custom_attributes is required"}
            if body.get("merge"):
                conversation.custom_attributes.update(values)
            else:
                conversation.custom_attributes = dict(values)
            return 200, {"custom_attributes": dict(conversation.custom_attributes)}
        return 404, {"error": "not found"}

    # --- conversations and webhooks ------------------------------------------------------
    def conversation(
        self,
        *,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        status: str = "pending",
        number: int | None = None,
    ) -> SimConversation:
        """A new conversation of a (new) contact in the bot's inbox."""
        with self._lock:
            number = number or len(self.conversations) + 1
            contact = Contact(next(self._contact_ids), name, email, phone)
            made = SimConversation(self.account_id, number, contact, status=status)
            self.conversations[(self.account_id, number)] = made
            return made

    def message_event(self, conversation: SimConversation, message: SimMessage) -> dict[str, Any]:
        """The `message_created` payload Chatwoot sends a bot for `message`."""
        return {
            "event": "message_created",
            "id": message.id,
            "content": message.content,
            "content_type": "text",
            "content_attributes": message.content_attributes,
            "created_at": datetime.fromtimestamp(message.created_at, UTC).isoformat(),
            "message_type": message.message_type,
            "private": message.private,
            "source_id": None,
            "additional_attributes": {},
            "sender": message.sender,
            "inbox": {"id": conversation.inbox_id, "name": self.inbox_name},
            "conversation": conversation.payload(),
            "account": {"id": conversation.account_id, "name": self.account_name},
        }

    def customer_says(
        self,
        conversation: SimConversation,
        text: str,
        *,
        message_type: str = "incoming",
        private: bool = False,
    ) -> httpx.Response:
        """The contact writes `text`: it joins the conversation and its webhook is sent."""
        with self._lock:
            message = SimMessage(
                id=next(self._ids),
                content=text,
                message_type=message_type,
                private=private,
                sender=conversation.contact.payload(),
                content_attributes={},
                created_at=int(time.time()),
            )
            conversation.messages.append(message)
        return self.send(self.message_event(conversation, message))

    def _send_message_event(self, conversation: SimConversation, message: SimMessage) -> None:
        with contextlib.suppress(httpx.HTTPError):  # Chatwoot gives up on a silent bot
            self.send(self.message_event(conversation, message))

    def signed_headers(
        self,
        body: bytes,
        *,
        delivery: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """The headers Chatwoot sends with a webhook body."""
        sent = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": "application/json",
            "User-Agent": "Chatwoot",
            "X-Chatwoot-Signature": chatwoot_signature(secret or self.secret, sent, body),
            "X-Chatwoot-Timestamp": sent,
            "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
        }

    def send(
        self,
        payload: dict[str, Any],
        *,
        delivery: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """Posts a webhook, signed as Chatwoot signs it, with Chatwoot's 5 s timeout."""
        target = url or self.webhook_url
        if target is None:
            raise ValueError("the simulator has no webhook URL")
        body = json.dumps(payload).encode()
        headers = self.signed_headers(body, delivery=delivery, timestamp=timestamp, secret=secret)
        answer = httpx.post(target, content=body, headers=headers, timeout=5.0)
        with self._lock:
            self.webhook_answers.append(answer)
        return answer

    def posted(self, conversation: SimConversation, *, private: bool | None = None) -> list[str]:
        """What the bot posted in a conversation (notes only, replies only, or both)."""
        return [
            m.content
            for m in conversation.messages
            if m.sender.get("type") == "agent_bot" and (private is None or m.private == private)
        ]
