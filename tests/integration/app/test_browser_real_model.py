"""One flow through the app against the real vLLM server: a demo customer writes in, the
real model assesses and drafts (streamed into the page), and the agent approves it. The
135M CPU model decides little, so the turn may instead be handed off: either way the page
must say so and the CRM must hold the matching records."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from agents.core.config import Settings
from agents.services.root import Root
from tests.integration.app.conftest import RunningApp, prepare_data, screenshot, serve, sign_in
from tools.crm.models import OutboxMessage, Ticket

CONVERSATION_ID = re.compile(r"CV-[0-9A-F]{12}")
OUTCOMES = re.compile("à approuver|transférée")


@pytest.fixture(scope="module")
def real_app(
    llm_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    folder = tmp_path_factory.mktemp("app-real")
    settings = llm_settings.model_copy(update={"data_dir": folder, "demo_mode": True})
    prepare_data(settings)
    yield from serve(Root(settings).workspace, settings)


def _count(app: RunningApp, model: type, conversation_id: str) -> int:
    with app.workspace.store.reading() as session:
        query = select(model).where(model.conversation_id == conversation_id)  # type: ignore[attr-defined]
        return len(list(session.scalars(query)))


def test_a_real_draft_streams_in_and_is_approved(real_app: RunningApp, page: Page) -> None:
    sign_in(page, real_app.url, "agent@demo")
    expect(page.locator("#model-status")).to_contain_text("prêt")
    page.locator("#inbound textarea").fill(
        "Bonjour, ma commande n'est pas encore arrivée. Pouvez-vous me dire où elle en est ?"
    )
    page.locator("#send-inbound").click()
    status = page.locator("#inbox-status")
    expect(status).to_contain_text(OUTCOMES, timeout=240_000)
    found = CONVERSATION_ID.search(status.inner_text())
    assert found, status.inner_text()
    conversation = found.group(0)
    screenshot(page, "6-inbox-real-model")

    if "à approuver" in status.inner_text():
        draft = page.locator("#draft textarea").input_value()
        assert len(draft.strip()) > 20
        page.locator("#approve").click()
        expect(status).to_contain_text("approuvée", timeout=60_000)
        assert _count(real_app, OutboxMessage, conversation) == 1
    else:
        assert _count(real_app, Ticket, conversation) == 1
        assert _count(real_app, OutboxMessage, conversation) == 0
