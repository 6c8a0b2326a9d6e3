"""Two agents in two real browsers (headless Chromium): while agent A's draft is streaming,
held inside the model call after its first words, agent B opens a conversation whose draft
waits and approves it. B's clicks complete while A's draft is still held; A's draft then
finishes. Nothing is timed: the held draft cannot finish until released, so B not waiting
for it is shown by B's events completing first."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from playwright.sync_api import Browser, expect

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.intake import InboundEnvelope
from tests.fakes import SCRIPTED_PROFILE, ScriptedChatModel
from tests.integration.app.conftest import (
    FIRST_DRAFT,
    RoutedScript,
    RunningApp,
    choose,
    prepare_data,
    serve,
    sign_in,
)
from tests.integration.conftest import free_port

HOLD = "(message retenu)"
HELD_WORDS = 3
WAIT_S = 120
CALM = "Bonjour, pouvez-vous me dire où en est ma commande ? Merci."


class HeldStream(ScriptedChatModel):
    """The routed script's answers; a draft for a message carrying HOLD streams its first
    words, then waits for `release` inside the model call before the rest."""

    held: Any = None
    release: Any = None

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        prompt = "\n".join(str(m.content) for m in messages)
        if "response_format" in kwargs or HOLD not in prompt:
            yield from super()._stream(messages, stop, run_manager, **kwargs)
            return
        words = self.script.next(messages, kwargs).split(" ")
        for index, word in enumerate(words):
            if index == HELD_WORDS:
                self.held.set()
                assert self.release.wait(WAIT_S), "the held draft was never released"
            piece = word if index == 0 else f" {word}"
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


@pytest.fixture(scope="module")
def held_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, HeldStream]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("app-concurrency"),
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens: scripted model
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        demo_mode=True,
        draft_preview_interval_s=0.1,
        _env_file=None,  # type: ignore[call-arg]
    )
    prepare_data(settings)
    model = HeldStream(script=RoutedScript([]), held=threading.Event(), release=threading.Event())
    workspace = Root(settings, Overrides(llm=LLMClient(settings, model))).workspace
    try:
        yield from ((app, model) for app in serve(workspace, settings))
    finally:
        model.release.set()  # never leave a worker thread held


def test_an_agent_opens_and_decides_while_another_agents_draft_streams(
    held_app: tuple[RunningApp, HeldStream], browser: Browser
) -> None:
    app, model = held_app
    ws = app.workspace
    # A draft that waits for agent B (written at once: its message carries no HOLD).
    waiting = ws.store.open_conversation("C00007", channel="email", subject="Commande")
    received = ws.support.receive(
        InboundEnvelope(channel="email", text=CALM, conversation_id=waiting)
    )
    assert received.turn_id is not None
    deadline = time.monotonic() + WAIT_S  # the app's embedded worker drafts it
    while ws.support.conversation_state(waiting)[0] != "awaiting_approval":
        assert time.monotonic() < deadline, "the waiting draft was never written"
        time.sleep(0.1)

    contexts = [browser.new_context(locale="fr-FR") for _ in range(2)]
    try:
        a, b = (context.new_page() for context in contexts)
        # Agent A writes in as a customer; the draft streams its first words, then is held.
        sign_in(a, app.url, "agent@demo")
        choose(a, "customer", "(C00006)")
        a.locator("#inbound textarea").fill(f"{CALM} {HOLD}")
        a.locator("#send-inbound").click()
        assert model.held.wait(WAIT_S), "agent A's draft never started streaming"
        held_words = " ".join(FIRST_DRAFT.split(" ")[:HELD_WORDS])
        streamed = a.locator("#draft textarea")  # the draft so far (a preview of its words)
        expect(streamed).to_have_value(re.compile(r"^Bonjour"))
        assert held_words.startswith(streamed.input_value())
        expect(a.locator("#inbox-status")).to_contain_text("Rédaction")

        # Agent B, meanwhile: opens the waiting conversation, reads its draft, approves it.
        sign_in(b, app.url, "admin@demo")
        b.locator(f'#queue input[value="{waiting}"]').check()
        b.locator("#crm-card-box").get_by_text("Fiche client").click()  # folded by default
        expect(b.locator("#crm-card")).to_contain_text("C00007")
        expect(b.locator("#draft textarea")).to_have_value(re.compile(re.escape(FIRST_DRAFT)))
        b.locator("#approve").click()
        expect(b.locator("#inbox-status")).to_contain_text("approuvée")
        assert ws.support.conversation_state(waiting)[0] != "awaiting_approval"

        # All of that while A's draft was still held inside the model call.
        assert not model.release.is_set()
        assert held_words.startswith(streamed.input_value())
        model.release.set()
        expect(a.locator("#inbox-status")).to_contain_text("à approuver", timeout=60_000)
        expect(a.locator("#draft textarea")).to_have_value(re.compile(re.escape(FIRST_DRAFT)))
    finally:
        for context in contexts:
            context.close()
