"""The HTTP API: every route refuses a missing token, an unknown or revoked one and a token
of the wrong role; the read routes answer typed views of the queues and a conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.services.tokens import TokenRole
from agents.support.schemas import ApprovalDecision, HistoryLine, InboundMessage
from tests.fakes import ScriptedChatModel
from tests.unit.web.conftest import Clock
from tools.crm.seed import seed_demo
from tools.kb.search import Passage, RetrievalResult
from web.api.app import create_api

ASSESSMENT = json.dumps(
    {
        "summary": "Le client demande où en est son colis.",
        "intents": ["suivi de colis"],
        "complexity": "low",
        "sensitive_topics": ["none"],
        "policy_exception_requested": False,
    }
)
CITATION = "livraison-retards#colis-en-retard"
DRAFT = f"Bonjour, votre colis est en route et arrive sous 5 jours ouvrés [{CITATION}]."
PASSAGE = Passage(
    citation=CITATION,
    doc_id="livraison-retards",
    title="Retards de livraison",
    section="Colis en retard",
    lang="fr",
    version="1",
    updated="2026-10-01",
    text="Un colis est considéré en retard après 5 jours ouvrés.",
    score=0.7,
)
ROUTES = ["/approvals", "/handoffs", "/conversations/CV-NONE"]
ROLES: tuple[TokenRole, ...] = ("integration", "agent", "admin")
READERS = {"agent", "admin"}
INBOUND = {
    "channel": "helpdesk",
    "external_conversation_id": "T-1",
    "external_message_id": "M-1",
    "customer": {"email": "nobody@example.org", "name": "Ana Ruiz"},
    "text": "Bonjour, où en est mon colis ?",
    "lang": "fr",
}
WRITES: list[tuple[str, dict[str, object], set[str]]] = [
    ("/messages", INBOUND, {"integration", "admin"}),
    ("/approvals/NONE/decision", {"action": "accept"}, {"agent", "admin"}),
    ("/deliveries/999/retry", {}, {"agent", "admin"}),
]


class OnePassage:
    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        return RetrievalResult(query, (PASSAGE,), 0.22)


class Calm:
    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        return EmotionReading(label="neutral", valence=0.1, intensity=0.2)


@pytest.fixture
def api(settings: Settings, clock: Clock) -> Iterator[tuple[TestClient, Root, dict[str, str]]]:
    model = ScriptedChatModel.of(ASSESSMENT, DRAFT)
    overrides = Overrides(
        llm=LLMClient(settings, model), clock=clock, knowledge=OnePassage(), emotions=Calm()
    )
    root = Root(settings, overrides)
    tokens = {role: root.tokens.create(f"{role} token", role)[0] for role in ROLES}
    with TestClient(create_api(root.workspace)) as client:
        yield client, root, tokens
    root.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_refuses_a_request_without_a_token(api, route: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    answer = client.get(route)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get(route, headers={"Authorization": "Basic YWdlbnQ6eA=="}).status_code == 401


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_refuses_a_wrong_or_revoked_token(api, route: str) -> None:  # type: ignore[no-untyped-def]
    client, root, tokens = api
    forged = tokens["admin"][:-4] + "AAAA"
    for token in (forged, "rst_" + "x" * 43, "not-even-a-token", tokens["admin"] + "x"):
        answer = client.get(route, headers=bearer(token))
        assert answer.status_code == 401, token
        assert "invalid_token" in answer.headers["www-authenticate"]
    root.tokens.revoke("admin token")
    assert client.get(route, headers=bearer(tokens["admin"])).status_code == 401


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_every_route_serves_only_its_roles(api, route: str, role: str) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = api
    answer = client.get(route, headers=bearer(tokens[role]))
    if role in READERS:
        assert answer.status_code in (200, 404), answer.text  # past the guard
    else:
        assert answer.status_code == 403
        assert "may not" in answer.json()["detail"]


def test_the_queues_and_a_conversation_read_as_typed_views(api) -> None:  # type: ignore[no-untyped-def]
    client, root, tokens = api
    seed_demo(root.store, customers=3)
    conversation = root.store.open_conversation("C00002", channel="email", subject="Colis")
    message = InboundMessage(
        conversation_id=conversation, text="Où en est mon colis ?", channel="email"
    )
    assert root.support.submit(message).outcome == "awaiting_approval"
    headers = bearer(tokens["agent"])

    [approval] = client.get("/approvals", headers=headers).json()
    assert approval["conversation_id"] == conversation
    assert approval["customer_id"] == "C00002"
    assert approval["draft"].startswith(DRAFT)  # the AI disclosure follows
    assert approval["citations"] == [
        {"citation_id": CITATION, "title": PASSAGE.title, "text": PASSAGE.text, "score": 0.7}
    ]
    assert approval["reading"]["label"] == "neutral"
    assert isinstance(approval["findings"], list)

    view = client.get(f"/conversations/{conversation}", headers=headers).json()
    assert view["customer_id"] == "C00002"
    assert [m["text"] for m in view["messages"]][-1] == "Où en est mon colis ?"
    assert view["messages"][-1]["pending"] is True
    assert view["trajectory"]["messages"] == 1
    assert view["trajectory"]["end_valence"] == pytest.approx(0.1)
    assert view["pending_approval"]["draft"] == approval["draft"]

    decision = ApprovalDecision(action="take_over", reviewer="lea@lumio.fr")
    assert root.support.resume(conversation, decision).outcome == "taken_over"
    assert client.get("/approvals", headers=headers).json() == []
    [handoff] = client.get("/handoffs", headers=headers).json()
    assert handoff["conversation_id"] == conversation
    assert handoff["customer_name"] == root.store.find_customer("C00002").full_name
    assert handoff["last_message"] == "Où en est mon colis ?"
    assert client.get("/conversations/CV-NONE", headers=headers).status_code == 404


def test_the_openapi_document_names_the_routes_and_the_bearer_scheme(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) == {
        "/approvals",
        "/handoffs",
        "/conversations/{conversation_id}",
        "/messages",
        "/approvals/{approval_id}/decision",
        "/deliveries/{outbox_id}/retry",
        "/channels/chatwoot/webhook",
    }
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for route, path in document["paths"].items():
        for operation in path.values():
            if route == "/channels/chatwoot/webhook":  # signed by Chatwoot instead
                assert "401" in operation["responses"] and "security" not in operation
            else:
                assert {"401", "403"} <= set(operation["responses"]), route
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()  # the docs page works without the internet
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(("route", "body", "allowed"), WRITES)
def test_every_write_refuses_missing_wrong_and_wrong_role_tokens(  # type: ignore[no-untyped-def]
    api, route: str, body: dict[str, object], allowed: set[str]
) -> None:
    client, root, tokens = api
    assert client.post(route, json=body).status_code == 401
    assert client.post(route, json=body, headers=bearer("rst_" + "x" * 43)).status_code == 401
    for role in ROLES:
        answer = client.post(route, json=body, headers=bearer(tokens[role]))
        if role in allowed:
            assert answer.status_code in (202, 404), answer.text  # past the guard
        else:
            assert answer.status_code == 403, answer.text
    if route == "/messages":
        assert root.store.counts()["messages"] == 1  # the allowed posts got in (once)


def test_an_inbound_message_is_stored_once_and_answered_before_any_turn_runs(api) -> None:  # type: ignore[no-untyped-def]
    client, root, tokens = api
    headers = bearer(tokens["integration"])
    first = client.post("/messages", json=INBOUND, headers=headers)
    assert first.status_code == 202, first.text
    accepted = first.json()
    assert accepted["duplicate"] is False and accepted["turn_id"]
    again = client.post("/messages", json=INBOUND, headers=headers)
    assert again.status_code == 202
    assert again.json() == {**accepted, "duplicate": True}
    assert root.store.counts()["messages"] == 1
    turn = root.store.turns.turn(accepted["turn_id"])
    assert turn.status == "queued"  # stored and queued: a worker drafts later
    customer = root.store.find_customer(
        root.store.conversation_customer(accepted["conversation_id"])
    )
    assert customer.email == "nobody@example.org"  # an unknown sender: a new customer
    # The same conversation id from someone else: refused, never threaded in.
    intruder = {**INBOUND, "external_message_id": "M-2", "customer": {"email": "eve@example.org"}}
    assert client.post("/messages", json=intruder, headers=headers).status_code == 409
    assert root.store.counts()["messages"] == 1
    assert (
        client.post("/messages", json={**INBOUND, "text": ""}, headers=headers).status_code == 422
    )


def test_a_decision_through_the_api_is_the_one_decision_and_a_dead_delivery_can_be_retried(
    api,
) -> None:  # type: ignore[no-untyped-def]
    client, root, tokens = api
    seed_demo(root.store, customers=3)
    conversation = root.store.open_conversation("C00002", channel="email", subject="Colis")
    message = InboundMessage(
        conversation_id=conversation, text="Où en est mon colis ?", channel="email"
    )
    assert root.support.submit(message).outcome == "awaiting_approval"
    headers = bearer(tokens["agent"])
    [approval] = client.get("/approvals", headers=headers).json()
    path = f"/approvals/{approval['approval_id']}/decision"
    assert client.post(path, json={"action": "edit"}, headers=headers).status_code == 422
    done = client.post(path, json={"action": "accept"}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "approved"
    lost = client.post(path, json={"action": "reject"}, headers=headers)
    assert lost.status_code == 409
    assert "already decided by agent token" in lost.json()["detail"]
    [row] = client.get(f"/conversations/{conversation}", headers=headers).json()["deliveries"]
    assert row["kind"] == "reply" and row["status"] == "pending"
    retry = f"/deliveries/{row['id']}/retry"
    assert client.post(retry, headers=headers).status_code == 409  # pending: nothing to retry
    claim = root.store.deliveries.claim(timedelta(seconds=60))
    assert claim is not None
    root.store.deliveries.failed(row["id"], "DeliveryError: down", None)
    [dead] = client.get(f"/conversations/{conversation}", headers=headers).json()["deliveries"]
    assert dead["status"] == "dead" and dead["last_error"] == "DeliveryError: down"
    assert client.post(retry, headers=headers).json() == {
        "outbox_id": row["id"],
        "status": "pending",
    }
    assert client.post("/deliveries/424242/retry", headers=headers).status_code == 404
