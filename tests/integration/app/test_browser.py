"""The app driven in headless Chromium, over a scripted model (known drafts and routes):
sign-in and roles, approve, edit, redraft, take over, the handoff queue, the dashboard and
the language switch. Each tab leaves a screenshot in var/screenshots/."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.integration.app.conftest import (
    FIRST_DRAFT,
    INSTRUCTION,
    REDRAFT,
    SCREENSHOTS,
    RunningApp,
    choose,
    screenshot,
    sign_in,
)
from tools.crm.models import Approval, Conversation, OutboxMessage, Ticket, Turn
from ui.inbox import QUEUE_REFRESH_S

CALM_REQUEST = "Bonjour, pouvez-vous me dire où en est ma commande ? Merci."
CONVERSATION_ID = re.compile(r"CV-[0-9A-F]{12}")


def send_as_customer(page: Page, customer_id: str, text: str = CALM_REQUEST) -> str:
    """Writes in as a demo customer and waits for the draft; returns the conversation id."""
    choose(page, "customer", f"({customer_id})")
    page.locator("#inbound textarea").fill(text)
    page.locator("#send-inbound").click()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text("à approuver", timeout=60_000)
    found = CONVERSATION_ID.search(status.inner_text())
    assert found, status.inner_text()
    return found.group(0)


def rows(app: RunningApp, model: type, conversation_id: str) -> list:  # type: ignore[type-arg]
    with app.workspace.store.reading() as session:
        return list(
            session.scalars(select(model).where(model.conversation_id == conversation_id))  # type: ignore[attr-defined]
        )


def test_sign_in_opens_the_tabs_of_the_role(scripted_app: RunningApp, page: Page) -> None:
    page.goto(scripted_app.url)
    expect(page).to_have_url(re.compile(r"/signin$"))  # a stranger is sent to sign in
    expect(page.locator("#signin-button")).to_be_visible()
    expect(page.locator("#signin-demo")).to_contain_text("ressenti-demo")  # demo mode
    screenshot(page, "0-sign-in")

    sign_in(page, scripted_app.url, "agent@demo", "not-the-password")
    expect(page.locator("#signin-error")).to_contain_text("incorrect")
    expect(page.locator("#workspace")).to_have_count(0)

    sign_in(page, scripted_app.url, "agent@demo")
    expect(page.locator("#whoami")).to_contain_text("Alex Agent (agent)")
    expect(page.get_by_role("tab")).to_have_text(["Boîte de réception", "Transferts"])

    sign_in(page, scripted_app.url, "marketer@demo")
    expect(page.get_by_role("tab")).to_have_text(["Studio marketing"])
    expect(page.locator("#draft-campaign")).to_be_visible()

    sign_in(page, scripted_app.url, "tester@demo")
    expect(page.get_by_role("tab")).to_have_text(["Évaluations"])

    sign_in(page, scripted_app.url, "admin@demo")
    expect(page.locator("#whoami")).to_contain_text("admin")
    expect(page.get_by_role("tab")).to_have_count(6)
    page.locator("#signout").click()
    expect(page.locator("#signin-button")).to_be_visible()
    expect(page.locator("#signin-note")).to_contain_text("déconnecté")
    page.goto(scripted_app.url)  # the old cookie opens nothing
    expect(page).to_have_url(re.compile(r"/signin$"))


def test_a_reload_keeps_the_session_and_the_language(scripted_app: RunningApp, page: Page) -> None:
    page.goto(f"{scripted_app.url}/signin?lang=en")
    expect(page.locator("#signin-button")).to_have_text("Sign in")
    page.locator("#email").fill("admin@demo")
    page.locator("#password").fill("ressenti-demo")
    page.locator("#signin-button").click()
    expect(page.locator("#whoami")).to_contain_text("Signed in")  # the page's language
    page.locator("#language").get_by_text("Français").click()
    expect(page.locator("#whoami")).to_contain_text("Connecté")
    page.locator("#language").get_by_text("English").click()
    expect(page.get_by_role("tab", name="Dashboard")).to_be_visible()
    session = f"{scripted_app.url}/auth/session"
    for _ in range(100):  # the switch is remembered by the server, not the page
        if page.request.get(session).json()["lang"] == "en":
            break
        page.wait_for_timeout(200)

    page.reload()
    expect(page.locator("#whoami")).to_contain_text("Signed in: Ada Admin (admin)")
    expect(page.get_by_role("tab", name="Dashboard")).to_be_visible()
    expect(page.locator("#approve")).to_have_text("Approve")
    expect(page.locator("#language input[value='English']")).to_be_checked()
    screenshot(page, "5-reloaded-in-english")


def test_an_approved_draft_reaches_the_outbox(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "agent@demo")
    conversation = send_as_customer(page, "C00002")

    # The streamed draft, the customer's message with its emotion chip, the card, the plot.
    expect(page.locator("#draft textarea")).to_have_value(re.compile(re.escape(FIRST_DRAFT)))
    expect(page.locator("#transcript")).to_contain_text(CALM_REQUEST)
    expect(page.locator("#transcript .chip")).to_have_count(1)
    expect(page.locator("#trajectory img")).to_be_visible()
    page.locator("#crm-card-box").get_by_text("Fiche client").click()
    expect(page.locator("#crm-card")).to_contain_text("C00002")
    page.locator("#passages-box").get_by_text("Sources citables").click()
    expect(page.locator("#passages .passage").first).to_be_visible()
    assert "|---" not in page.locator("#passages").inner_text()  # tables rendered as text
    # The queue shows the customer's message, a labelled priority and the waiting time.
    expect(page.locator("#queue")).to_contain_text("Normale · ")
    expect(page.locator("#queue")).to_contain_text("où en est ma commande")
    expect(page.locator("#queue")).not_to_contain_text("Aucun brouillon en attente")
    screenshot(page, "1-inbox-draft")
    assert rows(scripted_app, OutboxMessage, conversation) == []  # nothing before approval

    page.locator("#approve").click()
    expect(page.locator("#inbox-status")).to_contain_text("approuvée")
    [outgoing] = rows(scripted_app, OutboxMessage, conversation)
    assert outgoing.body.startswith(FIRST_DRAFT)
    [approval] = rows(scripted_app, Approval, conversation)
    assert (approval.decision, approval.reviewer) == ("accept", "agent@demo")
    expect(page.locator("#queue")).not_to_contain_text(conversation)
    # The app's delivery worker sends it on the demo "none" channel (recorded locally).
    deadline = time.monotonic() + 20
    while rows(scripted_app, OutboxMessage, conversation)[0].status != "delivered":
        assert time.monotonic() < deadline, "the reply was never delivered"
        time.sleep(0.2)


def test_an_edited_draft_is_sent_with_its_diff(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "agent@demo")
    conversation = send_as_customer(page, "C00003")
    edited = "Bonjour, votre commande part demain matin. Belle journée à vous."
    page.locator("#draft textarea").fill(edited)
    page.locator("#edit-approve").click()
    expect(page.locator("#inbox-status")).to_contain_text("approuvée")

    [approval] = rows(scripted_app, Approval, conversation)
    assert approval.decision == "edit"
    # An edit goes through the draft check too; the AI disclosure it dropped is put back.
    assert approval.final_text.startswith(edited)
    assert approval.final_text.endswith("relue par un conseiller.")
    assert "+Bonjour, votre commande part demain matin" in approval.diff
    assert "-Bonjour, merci pour votre message" in approval.diff
    [outgoing] = rows(scripted_app, OutboxMessage, conversation)
    assert outgoing.body == approval.final_text


def test_a_redraft_follows_the_instruction(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "agent@demo")
    conversation = send_as_customer(page, "C00004")
    page.locator("#instruction input, #instruction textarea").first.fill(INSTRUCTION)
    page.locator("#redraft").click()
    expect(page.locator("#draft textarea")).to_have_value(re.compile(re.escape(REDRAFT)))
    expect(page.locator("#inbox-status")).to_contain_text("à approuver")
    page.locator("#reject").click()
    expect(page.locator("#inbox-status")).to_contain_text("rejeté")
    # Each draft gets its one decision: the redraft request, then the rejection.
    decisions = [a.decision for a in rows(scripted_app, Approval, conversation)]
    assert decisions == ["respond", "reject"]
    assert rows(scripted_app, OutboxMessage, conversation) == []


LEGAL_THREAT = "Ma commande n'arrive toujours pas. Mon avocat vous écrira si rien ne bouge."
HUMAN_REPLY = "Bonjour, je suis Alex. Je reprends votre dossier et je vous rappelle aujourd'hui."


def open_in_handoffs(page: Page, conversation: str) -> None:
    page.get_by_role("tab", name="Transferts").click()
    item = page.locator(f'#human-queue label:has(input[value="{conversation}"])')
    expect(item).to_be_visible()
    item.click()
    expect(page.locator("#handoff-head")).not_to_contain_text("Choisissez")


def test_a_person_finishes_a_handed_off_conversation(
    scripted_app: RunningApp, page: Page, browser: Browser
) -> None:
    """The rules hand a conversation off; the inbox says why; an agent takes it (a
    colleague sees who has it), replies (checked, through the outbox to the channel), asks
    the copilot for a draft and sends it edited, then resolves the conversation."""
    sign_in(page, scripted_app.url, "agent@demo")
    choose(page, "customer", "(C00005)")
    page.locator("#inbound textarea").fill(LEGAL_THREAT)
    page.locator("#send-inbound").click()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text("transférée à un conseiller", timeout=60_000)
    expect(status).to_contain_text("Menace juridique")  # the rule, translated, with its value
    expect(status).to_contain_text("menace juridique oui")
    found = CONVERSATION_ID.search(status.inner_text())
    assert found, status.inner_text()
    conversation = found.group(0)

    open_in_handoffs(page, conversation)
    package = page.locator("#handoff-package")
    expect(package).to_contain_text("transférée par les règles")
    expect(package).to_contain_text("Menace juridique")
    expect(page.locator("#handoff-transcript")).to_contain_text("Mon avocat vous écrira")
    expect(page.locator("#human-queue")).to_contain_text("Urgente")
    page.locator("#take").click()
    feedback = page.locator("#handoff-status")
    expect(feedback).to_contain_text("attribuée à Alex Agent")
    expect(page.locator("#human-queue")).to_contain_text("agent@demo")
    screenshot(page, "2-handoffs")

    colleague = browser.new_page(viewport={"width": 1366, "height": 768})
    try:  # the assignee is the CRM's, seen by everyone
        sign_in(colleague, scripted_app.url, "admin@demo")
        colleague.get_by_role("tab", name="Transferts").click()
        line = colleague.locator(f'#human-queue label:has(input[value="{conversation}"])')
        expect(line).to_contain_text("agent@demo")
        colleague.locator("#take").click()  # nothing picked: said kindly, no error badge
        expect(colleague.locator("#handoff-status")).to_contain_text("Choisissez d'abord")
        line.click()
        colleague.locator("#take").click()
        expect(colleague.locator("#handoff-status")).to_contain_text("agent@demo suit déjà")
        assert colleague.locator(".error").count() == 0
    finally:
        colleague.close()

    page.locator("#human-reply textarea").fill(HUMAN_REPLY)
    page.locator("#send-reply").click()
    expect(feedback).to_contain_text("file d'envoi")
    expect(page.locator("#handoff-transcript")).to_contain_text("je vous rappelle aujourd'hui")
    [approval] = rows(scripted_app, Approval, conversation)
    assert (approval.decision, approval.reviewer) == ("human_reply", "agent@demo")
    [outgoing] = rows(scripted_app, OutboxMessage, conversation)
    assert outgoing.body == HUMAN_REPLY
    deadline = time.monotonic() + 20
    while rows(scripted_app, OutboxMessage, conversation)[0].status != "delivered":
        assert time.monotonic() < deadline, "the reply was never delivered"
        time.sleep(0.2)

    page.locator("#request-draft").click()
    expect(feedback).to_contain_text("Brouillon prêt dans la zone de réponse", timeout=60_000)
    reply = page.locator("#human-reply textarea")
    expect(reply).to_have_value(re.compile(re.escape(FIRST_DRAFT)))
    [requested] = [t for t in rows(scripted_app, Turn, conversation) if t.requested_by]
    assert requested.requested_by == "agent@demo"
    reply.fill("Bonjour, votre commande part demain. Alex")
    page.locator("#send-reply").click()
    expect(feedback).to_contain_text("file d'envoi")
    assert [o.body for o in rows(scripted_app, OutboxMessage, conversation)][-1] == (
        "Bonjour, votre commande part demain. Alex"
    )

    page.locator("#resolve").click()
    expect(feedback).to_contain_text("Conversation résolue")
    state, _ = scripted_app.workspace.support.conversation_state(conversation)
    assert state == "resolved"
    expect(page.locator("#human-queue")).to_contain_text("résolue")
    assert page.locator(".error").count() == 0


def test_a_rejected_or_taken_over_draft_waits_for_a_person(
    scripted_app: RunningApp, page: Page
) -> None:
    """Never nowhere: a rejected draft and a take-over both land in the human queue, and a
    conversation given back goes to the copilot."""
    sign_in(page, scripted_app.url, "agent@demo")
    rejected = send_as_customer(page, "C00007")
    page.locator("#reject").click()
    expect(page.locator("#inbox-status")).to_contain_text("attend la réponse d'un conseiller")
    taken = send_as_customer(page, "C00008")
    page.locator("#take-over").click()
    expect(page.locator("#inbox-status")).to_contain_text("reprise")
    assert rows(scripted_app, OutboxMessage, taken) == []
    assert len(rows(scripted_app, Ticket, taken)) == 1

    page.get_by_role("tab", name="Transferts").click()
    line = page.locator(f'#human-queue label:has(input[value="{rejected}"])')
    expect(line).to_contain_text("brouillon rejeté")
    open_in_handoffs(page, taken)
    expect(page.locator("#handoff-package")).to_contain_text("Un conseiller a pris la main")
    expect(page.locator("#handoff-transcript")).to_contain_text(CALM_REQUEST)
    page.locator("#give-back").click()
    expect(page.locator("#handoff-status")).to_contain_text("rendue au copilote")
    state, _ = scripted_app.workspace.support.conversation_state(taken)
    assert state == "open"


def conversations(app: RunningApp) -> int:
    with app.workspace.store.reading() as session:
        return len(list(session.scalars(select(Conversation.id))))


def test_decisions_are_safe(scripted_app: RunningApp, page: Page) -> None:
    """A text with a blocking problem needs a reason; a double click decides once, with
    no error badge; a message over the limit is refused before anything is stored."""
    sign_in(page, scripted_app.url, "agent@demo")
    expect(page.locator("#approve")).to_be_disabled()  # nothing to decide yet
    conversation = send_as_customer(page, "C00009")
    expect(page.locator("#approve")).to_be_enabled()
    page.locator("#draft textarea").fill(
        "Bonjour, nous vous accordons un geste commercial de 80 € sur votre prochaine facture."
    )
    page.locator("#edit-approve").click()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text("ne passe pas la vérification")
    expect(status).to_contain_text("geste commercial hors barème")
    assert rows(scripted_app, Approval, conversation) == []  # not sent

    reason = "Geste validé par le responsable d'équipe."
    page.locator("#draft-override textarea, #draft-override input").first.fill(reason)
    page.locator("#edit-approve").dblclick()  # the second click finds nothing left to decide
    expect(status).to_contain_text("approuvée")
    expect(page.locator("#approve")).to_be_disabled()
    expect(page.locator("#edit-approve")).to_be_disabled()
    [approval] = rows(scripted_app, Approval, conversation)
    assert (approval.decision, approval.override_reason) == ("edit", reason)
    assert len(rows(scripted_app, OutboxMessage, conversation)) == 1
    assert page.locator(".error").count() == 0

    # The limit is shown before sending; a longer text is refused, nothing stored.
    expect(page.locator("#inbound")).to_contain_text("8000 caractères au plus")
    before = conversations(scripted_app)
    page.locator("#inbound textarea").evaluate(
        """(el) => { el.value = 'x'.repeat(10000);
                     el.dispatchEvent(new Event('input', {bubbles: true})); }"""
    )
    page.locator("#send-inbound").click()
    expect(status).to_contain_text("10000 caractères ; la limite est 8000")
    assert conversations(scripted_app) == before
    assert page.locator(".error").count() == 0
    screenshot(page, "1b-inbox-refusals")


def test_the_dashboard_shows_its_plots(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "admin@demo")
    page.get_by_role("tab", name="Tableau de bord").click()
    for plot in (
        "emotions",
        "reasons",
        "end_valence",
        "recovery_minutes",
        "effort",
        "escalation_rate",
        "edit_rate",
    ):
        expect(page.locator(f"#plot-{plot} img")).to_be_visible()
    screenshot(page, "3-dashboard")


def test_the_language_switch_relabels_the_app(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "admin@demo")
    expect(page.locator("#whoami")).to_contain_text("Connecté")
    page.locator("#language").get_by_text("English").click()
    expect(page.get_by_role("tab", name="Dashboard")).to_be_visible()
    expect(page.locator("#approve")).to_have_text("Approve")
    expect(page.locator("#whoami")).to_contain_text("Signed in")
    page.get_by_role("tab", name="Evaluations").click()
    expect(page.locator("#run-suite")).to_have_text("Run")
    expect(page.get_by_text("Compare two runs")).to_be_visible()
    page.get_by_role("tab", name="Marketing studio").click()
    expect(page.locator("#draft-campaign")).to_have_text("Draft")
    screenshot(page, "4-studio-en")


def test_an_open_inbox_sees_new_work_without_a_click(
    scripted_app: RunningApp, page: Page, browser: Browser
) -> None:
    sign_in(page, scripted_app.url, "agent@demo")
    expect(page.locator("#whoami")).to_contain_text("Alex Agent")
    colleague = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        sign_in(colleague, scripted_app.url, "admin@demo")
        conversation = send_as_customer(colleague, "C00006")
    finally:
        colleague.close()
    # The first agent's queue re-reads itself (every QUEUE_REFRESH_S seconds).
    expect(page.locator(f'#queue input[value="{conversation}"]')).to_be_attached(
        timeout=(QUEUE_REFRESH_S + 10) * 1000
    )


@pytest.mark.parametrize("role_email", ["marketer@demo", "tester@demo"])
def test_other_roles_cannot_reach_the_inbox(
    scripted_app: RunningApp, page: Page, role_email: str
) -> None:
    sign_in(page, scripted_app.url, role_email)
    expect(page.locator("#whoami")).to_be_visible()
    expect(page.locator("#send-inbound")).to_be_hidden()
    expect(page.locator("#queue")).to_be_hidden()


def test_the_header_says_when_the_model_server_is_down(
    scripted_app: RunningApp, page: Page
) -> None:
    # The scripted app's endpoint has no server behind it: exactly what a killed vLLM looks
    # like to the page. It must say so, with what to do, and no stack trace.
    sign_in(page, scripted_app.url, "agent@demo")
    status = page.locator("#model-status")
    expect(status).to_contain_text("ne répond pas")
    expect(status).to_contain_text("make run")
    expect(status).not_to_contain_text("Traceback")
    page.locator("#language").get_by_text("English").click()
    expect(status).to_contain_text("not answering")


SIZES = [(1366, 768), (1920, 1080)]
TABS = [
    ("Transferts", "handoffs", "#human-queue"),
    ("Tableau de bord", "dashboard", "#plot-emotions img"),
    ("Studio marketing", "studio", "#draft-campaign"),
    ("Évaluations", "evaluations", "#run-suite"),
]


def test_every_tab_at_two_screen_sizes(scripted_app: RunningApp, browser: Browser) -> None:
    """One screen per task: at 1366×768 the customer's message, the reading, the draft and
    the decision buttons are visible together, without scrolling. Each tab is captured at
    1366×768 and 1920×1080 in var/screenshots/."""
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    try:
        sign_in(page, scripted_app.url, "admin@demo")
        send_as_customer(page, "C00010")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.get_by_role("tab", name="Boîte de réception").click()
            page.evaluate("window.scrollTo(0, 0)")
            expect(page.locator("#approve")).to_be_enabled()
            for part in ("#transcript .msg", "#transcript .chip", "#draft textarea", "#approve"):
                box = page.locator(part).first.bounding_box()
                assert box is not None, part
                assert box["y"] >= 0 and box["y"] + box["height"] <= height, (part, box, height)
            page.screenshot(path=str(SCREENSHOTS / f"inbox-{width}x{height}.png"))
            for tab, name, ready in TABS:
                page.get_by_role("tab", name=tab).click()
                expect(page.locator(ready).first).to_be_visible()
                if name == "handoffs" and page.locator("#human-queue label").count():
                    page.locator("#human-queue label").first.click()
                    expect(page.locator("#handoff-head")).not_to_contain_text("Choisissez")
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"))
        assert page.locator(".error").count() == 0
    finally:
        page.close()
