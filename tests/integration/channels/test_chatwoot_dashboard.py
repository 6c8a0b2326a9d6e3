"""The Chatwoot Dashboard App (`/embed/chatwoot`) in a real browser, framed by a page served
from the Chatwoot origin that posts the conversation's context as Chatwoot does: the agent
signs in inside the frame, sees the reading and the draft of a conversation that came in
through the signed webhook, approves it, and exactly one reply reaches Chatwoot. A page of
another origin posting a context is not listened to; the embed API refuses a missing token
and a role that does not decide on drafts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, Route, expect, sync_playwright

from tests.integration.app.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.channels.conftest import Chatwoot, approval_of, deliveries_of, wait_for

QUESTION = "Bonjour, où en est ma commande ? Elle devait arriver hier."
PASSWORD = "agent-password-1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # Chatwoot's page is served by the test's route handler, which has no address:
        # Chromium would take it for a public page framing a loopback one and block it
        # (Local Network Access); between two public sites, as in production, no such check
        args = [*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"]
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=args, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def accounts(chatwoot: Chatwoot) -> dict[str, str]:
    made = {"agent": "lea@lumio.example", "marketer": "marc@lumio.example"}
    for role, email in made.items():
        chatwoot.workspace.accounts.create(email, PASSWORD, role)  # type: ignore[arg-type]
    return made


def chatwoot_page(page: Page, cw: Chatwoot, origin: str, account: int, number: int) -> FrameLocator:
    """Opens a page at `origin` that frames the Dashboard App and answers its request for
    the context with Chatwoot's `appContext` event (Chatwoot's own conversation view)."""
    context = {
        "event": "appContext",
        "data": {
            "conversation": {"id": number, "account_id": account, "status": "pending"},
            "contact": {"name": "Camille"},
            "currentAgent": {"id": 1, "name": "Léa"},
        },
    }
    html = f"""<!doctype html><html><body>
<iframe id="app" src="{cw.url}/embed/chatwoot?lang=fr" style="width:900px;height:900px"></iframe>
<script>
const context = {json.dumps(context)};
window.addEventListener("message", (event) => {{
  if (event.data === "chatwoot-dashboard-app:fetch-info") {{
    document.getElementById("app").contentWindow.postMessage(JSON.stringify(context), "*");
  }}
}});
</script></body></html>"""

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(f"{origin}/app/dashboard", serve)
    page.goto(f"{origin}/app/dashboard")
    return page.frame_locator("#app")


def sign_in(frame: FrameLocator, email: str) -> None:
    frame.locator("#email").fill(email)
    frame.locator("#password").fill(PASSWORD)
    frame.locator("#signin-button").click()


def test_an_agent_approves_inside_chatwoot_and_one_reply_is_posted(
    chatwoot: Chatwoot, accounts: dict[str, str], browser: Browser
) -> None:
    cw = chatwoot
    profile = cw.workspace.store.find_customer("C00002")
    conversation = cw.simulator.conversation(
        name=profile.full_name, email=profile.email, number=501
    )
    answer = cw.simulator.customer_says(conversation, QUESTION)
    assert answer.status_code == 202, answer.text
    conversation_id = answer.json()["conversation_id"]
    with cw.api("agent") as api:
        approval = wait_for(lambda: approval_of(api, conversation_id))

    page = browser.new_page(locale="fr-FR")
    try:
        frame = chatwoot_page(page, cw, cw.simulator.url, conversation.account_id, 501)
        expect(frame.locator("#signin-lead")).to_contain_text("Connectez-vous")
        sign_in(frame, accounts["agent"])
        expect(frame.locator("#draft")).to_have_value(approval["draft"])
        expect(frame.locator(".reading")).to_contain_text("intensité")
        expect(frame.locator(".trajectory")).to_be_visible()
        expect(frame.locator(".passage").first).to_be_visible()
        frame.locator("#action-accept").click()
        expect(frame.locator("#message")).to_contain_text("Décision enregistrée")
        expect(frame.locator("#draft")).to_have_value("")  # nothing waits any more
        expect(frame.locator("#action-accept")).to_be_disabled()
    finally:
        page.close()

    with cw.api("agent") as api:
        wait_for(
            lambda: [d for d in deliveries_of(api, conversation_id) if d["status"] == "delivered"]
        )
    assert cw.simulator.posted(conversation, private=False) == [approval["draft"]]
    decided = cw.workspace.store.turns.turns_of(conversation_id)[-1]
    assert decided.outcome == "sent"


def test_a_page_of_another_origin_cannot_frame_it(
    chatwoot: Chatwoot, accounts: dict[str, str], browser: Browser
) -> None:
    page = browser.new_page(locale="fr-FR")
    try:
        # the page refuses to be framed by anyone but Chatwoot (frame-ancestors)
        frame = chatwoot_page(page, chatwoot, "http://127.0.0.1:9", 1, 501)
        expect(frame.locator("#signin-button")).to_have_count(0)
    finally:
        page.close()


def test_the_embed_api_needs_a_token_of_a_role_that_decides(
    chatwoot: Chatwoot, accounts: dict[str, str]
) -> None:
    with httpx.Client(base_url=f"{chatwoot.url}/embed/api", timeout=30.0) as client:
        assert client.get("/chatwoot/1/501").status_code == 401
        forged = client.get("/chatwoot/1/501", headers={"Authorization": "Bearer forged"})
        assert forged.status_code == 401
        marketer = client.post(
            "/signin", json={"email": accounts["marketer"], "password": PASSWORD}
        )
        assert marketer.status_code == 403
        wrong = client.post("/signin", json={"email": accounts["agent"], "password": "nope"})
        assert wrong.status_code == 401
        agent = client.post("/signin", json={"email": accounts["agent"], "password": PASSWORD})
        assert agent.status_code == 200
        token = agent.json()["token"]
        unknown = client.get("/chatwoot/1/99999", headers={"Authorization": f"Bearer {token}"})
        assert unknown.status_code == 404  # a conversation Ressenti does not follow
        out = client.post("/signout", headers={"Authorization": f"Bearer {token}"})
        assert out.json() == {"signed_out": True}
        after = client.get("/chatwoot/1/501", headers={"Authorization": f"Bearer {token}"})
        assert after.status_code == 401
