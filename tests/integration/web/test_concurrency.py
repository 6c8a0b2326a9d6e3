"""Per-handler concurrency, with real processes' worth of parts (uvicorn, Gradio's queue,
the real stores) and a model that holds one draft until told: while agent A's draft is
held inside the model call, agent B reads the queue, opens a conversation, decides on
another draft and drafts a reply of their own, and a third person signs in. Nothing here
times anything: each of B's events simply completes while A's is still held."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from sqlalchemy import select

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.accounts import AccountStore, SignInCheck
from agents.services.root import Overrides, Root
from agents.services.sessions import SignInDesk
from agents.support.schemas import InboundMessage
from tests.fakes import SCRIPTED_PROFILE, ScriptedChatModel
from tests.integration.app.conftest import RoutedScript, prepare_data
from tests.integration.conftest import free_port
from tests.integration.web.conftest import (
    Completed,
    Served,
    call,
    event_of,
    join,
    outcome,
    serve,
)
from tools.crm.models import Approval

HOLD = "(message retenu)"
CALM = "Bonjour, pouvez-vous me dire où en est ma commande ? Merci."
WAIT_S = 60


class HeldDraft(RoutedScript):
    """The routed script, except that a draft for a message carrying HOLD waits for
    `release` inside the model call."""

    def __init__(self) -> None:
        super().__init__([])
        self.held = threading.Event()
        self.release = threading.Event()

    def next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        answer = super().next(messages, kwargs)
        prompt = "\n".join(str(m.content) for m in messages)
        if "response_format" not in kwargs and HOLD in prompt:
            self.held.set()
            assert self.release.wait(WAIT_S), "the held draft was never released"
        return answer


class SlowForOne(AccountStore):
    """Accounts whose password check for `slow@lumio.fr` waits for `release`."""

    held = threading.Event()
    release = threading.Event()

    def check(self, email: str, password: str) -> tuple[SignInCheck, Any]:
        if email.strip().lower() == "slow@lumio.fr":
            self.held.set()
            assert self.release.wait(WAIT_S)
        return super().check(email, password)


@contextmanager
def released(script: HeldDraft) -> Iterator[None]:
    """Whatever happens in the block, the held draft is let go at its end."""
    try:
        yield
    finally:
        script.release.set()


@pytest.fixture(scope="module")
def held() -> HeldDraft:
    return HeldDraft()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, held: HeldDraft) -> Iterator[Served]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("web-concurrency"),
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # the model is scripted
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    prepare_data(settings)  # the demo company, the demo accounts, the knowledge base
    root = Root(settings, Overrides(llm=LLMClient(settings, ScriptedChatModel(script=held))))
    workspace = root.workspace
    slow = SlowForOne(root.store)
    workspace = replace(
        workspace, signins=SignInDesk(slow, root.sessions, root.store, root.settings)
    )
    workspace.accounts.create("slow@lumio.fr", "slow-pass-1", "agent")
    yield from serve(workspace, settings)


def handler(served: Served, name: str) -> int:
    """The fn_index of the page's event whose handler is `name`."""
    page = served.app.state.page
    [index] = [i for i, fn in page.fns.items() if fn.fn is not None and fn.name == name]
    return int(index)


def page_view(client: Any, served: Served, session_hash: str) -> dict[str, Any]:
    """Open the page as a browser does (its load event), in one page session."""
    config: dict[str, Any] = client.get("/config").json()
    assert call(client, handler(served, "open_page"), [], session_hash).success
    return config


def test_reads_decisions_and_sign_ins_do_not_wait_behind_a_draft(
    served: Served, held: HeldDraft
) -> None:
    ws = served.workspace
    other = ws.store.open_conversation("C00004", channel="email", subject="Commande")
    waiting = ws.support.submit(InboundMessage(conversation_id=other, text=CALM, channel="email"))
    assert waiting.outcome == "awaiting_approval"

    with (
        served.signed_in("agent@demo") as a,
        served.signed_in("admin@demo") as b,
        released(held),
    ):
        page_a, page_b = "page-of-agent-a", "page-of-admin-b"
        config = page_view(a, served, page_a)
        page_view(b, served, page_b)
        send, select_one = event_of(config, "send-inbound"), event_of(config, "queue", "input")
        approve = event_of(config, "approve")

        # A writes in as a customer; the draft is held inside the model call.
        held_text = f"{CALM} {HOLD}"
        answer, _ = join(a, send, ["Français", "C00003", "email", "Commande", held_text], page_a)
        assert answer.status_code == 200
        finished: dict[str, Completed] = {}
        reader = threading.Thread(target=lambda: finished.update(a=outcome(a, page_a)))
        reader.start()
        assert held.held.wait(WAIT_S)

        # B reads the queue and opens the other conversation: both answer now.
        refreshed = call(b, handler(served, "refresh_queue"), ["Français", None], page_b)
        assert refreshed.success and other in str(refreshed.data[0])
        opened = call(b, select_one, ["Français", other], page_b)
        assert opened.success and CALM in str(opened.data)
        # B decides on it: the approval is recorded while A's draft is still held.
        # Language, conversation, draft, instruction, override reason, then the page's state
        # (the draft it showed): Gradio keeps that on the
        # server for this page session, so the client sends None.
        decided = call(b, approve, ["Français", other, "", "", "", None], page_b)
        assert decided.success, decided.output
        with ws.store.reading() as session:
            [approval] = session.scalars(select(Approval).where(Approval.conversation_id == other))
        assert (approval.decision, approval.reviewer) == ("accept", "admin@demo")
        # B's own draft runs beside A's (the model group holds several at once).
        mine = call(b, send, ["Français", "C00005", "email", "Commande", CALM], page_b)
        assert mine.success and "à approuver" in str(mine.data[0])

        # A third person signs in meanwhile.
        with served.signed_in("tester@demo") as c:
            assert c.get("/auth/session").json()["role"] == "tester"

        assert reader.is_alive() and "a" not in finished  # A's draft was held all along
        held.release.set()
        reader.join(WAIT_S)
    assert finished["a"].success
    assert "à approuver" in str(finished["a"].data[0])


def test_a_sign_in_stuck_in_its_check_holds_up_no_one(served: Served) -> None:
    slow = SlowForOne
    results: dict[str, int] = {}

    def sign_in_slowly() -> None:
        with served.client() as client:
            form = {"email": "slow@lumio.fr", "password": "slow-pass-1", "lang": "fr"}
            results["slow"] = client.post("/signin", data=form).status_code

    stuck = threading.Thread(target=sign_in_slowly)
    stuck.start()
    try:
        assert slow.held.wait(WAIT_S)
        for email in ("agent@demo", "marketer@demo"):
            with served.signed_in(email) as client:  # asserts the 303 to the app
                assert client.get("/auth/session").status_code == 200
        assert "slow" not in results
    finally:
        slow.release.set()
        stuck.join(WAIT_S)
    assert results["slow"] == 303
