"""Fuzzing the untrusted HTTP inputs (hypothesis) against the real FastAPI app over a real
SQLite store: `POST /api/v1/messages` bodies of any JSON shape and the Chatwoot webhook,
unsigned garbage and validly signed arbitrary payloads.

Properties: never a 5xx; a refused request stores no message; a validly shaped message is
stored once (its redelivery is a duplicate, nothing more stored)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from agents.channels.chatwoot import sign
from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from tests.fakes import ScriptedChatModel
from tests.unit.web.test_api import ASSESSMENT, DRAFT, Calm, OnePassage
from web.app import create_app

SECRET = "fuzz-webhook-secret"
EXAMPLE = itertools.count()
"""Makes each generated message's ids unique across examples (the store outlives them)."""
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as untrusted senders write it: any code point JSON can carry (no lone surrogates),
# control characters, combining marks, right-to-left overrides and emoji included.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ("channel", "external_conversation_id", "external_message_id", "customer", "text")
MESSAGE_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        **{name: JSON_VALUES for name in FIELDS},
        "lang": st.sampled_from(["fr", "en", "es", "", None, 3]),
        "sent_at": st.sampled_from(["2026-11-20T09:00:00Z", "yesterday", 0, None]),
    },
)
VISIBLE = st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))
VALID_MESSAGES = st.fixed_dictionaries(
    {
        "channel": st.from_regex(r"\A[a-z0-9_-]{1,20}\Z"),
        "external_conversation_id": st.uuids().map(str),
        "external_message_id": st.text(VISIBLE, min_size=1, max_size=200),
        "customer": st.fixed_dictionaries(
            {},
            optional={
                "email": st.emails().filter(lambda e: len(e) <= 254),
                "name": st.text(VISIBLE, max_size=200),
                "phone": st.from_regex(r"\A\+?[0-9 ]{0,20}\Z"),
            },
        ),
        "text": st.one_of(
            st.text(VISIBLE, min_size=1, max_size=400),
            st.integers(1, 8000).map(lambda n: "é" * n),  # up to the limit
        ),
        "lang": st.sampled_from(["fr", "en", None]),
    }
)


@pytest.fixture
def app(settings: Settings) -> Iterator[tuple[TestClient, Root, str]]:
    """The whole app (the HTTP API inside it) over a real store, with the Chatwoot webhook
    secret set; the turn worker is not started, so only the intake runs."""
    configured = settings.model_copy(
        update={"chatwoot_webhook_secret": SecretStr(SECRET), "demo_mode": False}
    )
    model = ScriptedChatModel.of(ASSESSMENT, DRAFT)
    overrides = Overrides(llm=LLMClient(configured, model), knowledge=OnePassage(), emotions=Calm())
    root = Root(configured, overrides)
    token = root.tokens.create("integration token", "integration")[0]
    with TestClient(create_app(root.workspace)) as client:
        yield client, root, token
    root.close()


def stored(root: Root) -> int:
    return int(root.store.counts()["messages"])


def post_message(client: TestClient, token: str, body: bytes) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return client.post("/api/v1/messages", content=body, headers=headers)


def check_stored_once(answer: Any, before: int, after: int) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code == 202 and answer.json().get("duplicate") is False:
        assert after == before + 1, answer.text
    else:
        assert after == before, (answer.status_code, answer.text)


@FUZZ
@given(body=MESSAGE_SHAPED | JSON_VALUES)
def test_any_json_body_on_messages_is_answered_without_a_5xx(app, body: object) -> None:  # type: ignore[no-untyped-def]
    client, root, token = app
    before = stored(root)
    answer = post_message(client, token, json.dumps(body).encode())
    check_stored_once(answer, before, stored(root))


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_any_bytes_on_messages_are_refused_without_a_5xx(app, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    client, root, token = app
    before = stored(root)
    answer = post_message(client, token, raw)
    check_stored_once(answer, before, stored(root))


@FUZZ
@given(message=VALID_MESSAGES)
def test_a_validly_shaped_message_is_stored_once(app, message: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    client, root, token = app
    before = stored(root)
    n = next(EXAMPLE)
    message = {
        **message,
        "external_conversation_id": f"{message['external_conversation_id']}-{n}",
        "external_message_id": f"{message['external_message_id'][:190]}-{n}",
    }
    body = json.dumps(message).encode()
    first = post_message(client, token, body)
    assert first.status_code == 202, first.text
    assert first.json()["duplicate"] is False
    assert stored(root) == before + 1
    again = post_message(client, token, body)
    assert again.status_code == 202, again.text
    assert again.json() == {**first.json(), "duplicate": True}
    assert stored(root) == before + 1


def test_a_message_over_the_length_limit_or_blank_is_refused_and_not_stored(app) -> None:  # type: ignore[no-untyped-def]
    client, root, token = app
    valid = {"channel": "web", "external_conversation_id": "T", "external_message_id": "M"}
    for text in ("x" * 8001, "", " " * 50, "\n\t "):
        answer = post_message(client, token, json.dumps({**valid, "text": text}).encode())
        assert answer.status_code == 422, (text[:5], answer.status_code, answer.text)
    assert stored(root) == 0


def webhook(client: TestClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/channels/chatwoot/webhook",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )


@FUZZ
@given(
    raw=st.binary(max_size=2000) | JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    # what a header can carry: visible ASCII (a client refuses anything else before sending)
    signature=st.none()
    | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)
    | st.just("sha256=" + "0" * 64),
    timestamp=st.none() | st.integers(-(2**40), 2**40).map(str),
)
def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_store_nothing(  # type: ignore[no-untyped-def]
    app, raw: bytes, signature: str | None, timestamp: str | None
) -> None:
    client, root, _ = app
    headers: dict[str, str] = {}
    if signature is not None:
        headers["X-Chatwoot-Signature"] = signature
    if timestamp is not None:
        headers["X-Chatwoot-Timestamp"] = timestamp
    answer = webhook(client, raw, headers)
    assert answer.status_code == 401, answer.text
    assert stored(root) == 0


def signed(body: bytes, delivery: str | None = None) -> dict[str, str]:
    now = str(int(time.time()))
    headers = {"X-Chatwoot-Timestamp": now, "X-Chatwoot-Signature": sign(SECRET, now, body)}
    if delivery is not None:
        headers["X-Chatwoot-Delivery"] = delivery
    return headers


SENDER = st.fixed_dictionaries(
    {"type": st.sampled_from(["contact", "user", None])},
    optional={"email": JSON_VALUES, "name": JSON_VALUES, "phone_number": JSON_VALUES},
)
EVENT_SHAPED = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["message_created", "conversation_updated"]) | JSON_VALUES,
        "message_type": st.sampled_from(["incoming", 0, "outgoing", 1]) | JSON_VALUES,
        "content": JSON_VALUES | st.integers(0, 9000).map(lambda n: "a" * n),
        "id": st.integers() | JSON_VALUES,
        "sender": SENDER | JSON_VALUES,
        "conversation": st.fixed_dictionaries(
            {"id": st.integers() | JSON_VALUES, "status": st.sampled_from(["pending", "open"])},
            optional={"account_id": st.integers() | JSON_VALUES, "meta": JSON_VALUES},
        )
        | JSON_VALUES,
    },
    optional={
        "account": st.fixed_dictionaries({"id": st.integers() | JSON_VALUES}),
        "private": JSON_VALUES,
        "content_attributes": JSON_VALUES,
        "inbox": JSON_VALUES,
    },
)


@FUZZ
@given(
    payload=EVENT_SHAPED | JSON_VALUES,
    delivery=st.none() | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)
def test_validly_signed_arbitrary_webhooks_never_5xx_and_store_at_most_once(  # type: ignore[no-untyped-def]
    app, payload: object, delivery: str | None
) -> None:
    client, root, _ = app
    body = json.dumps(payload).encode()
    before = stored(root)
    answer = webhook(client, body, signed(body, delivery))
    assert answer.status_code < 500, answer.text
    assert answer.status_code != 401, answer.text  # the signature is good
    after = stored(root)
    if answer.status_code == 202 and answer.json().get("duplicate") is False:
        assert after == before + 1, answer.text
    else:
        assert after == before, (answer.status_code, answer.text)
    # The same event again (a redelivery): never a second message.
    again = webhook(client, body, signed(body, delivery))
    assert again.status_code < 500, again.text
    assert stored(root) == after


@FUZZ
@given(body=st.binary(max_size=2000))
def test_validly_signed_bytes_that_are_not_json_are_refused(app, body: bytes) -> None:  # type: ignore[no-untyped-def]
    client, root, _ = app
    answer = webhook(client, body, signed(body))
    assert answer.status_code < 500, answer.text
    assert answer.status_code != 202, answer.text
    assert stored(root) == 0
