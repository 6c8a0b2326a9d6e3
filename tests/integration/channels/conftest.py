"""Chatwoot end to end: the whole application served by uvicorn on a free loopback port,
its embedded turn and delivery workers running, and the Chatwoot simulator
(`evals/simulators/chatwoot.py`), a real HTTP server on another port, sending signed
webhooks to the app and receiving its API calls.

Real parts: the app and its HTTP API, SQLite, the turn and delivery workers, the fast
emotion reader, the escalation policy, httpx to the simulator. Scripted: the chat model
(a known assessment and draft) and the knowledge base (one passage, no Chroma index).

The e-mail channel's world (`mail_world`): a private Dovecot (the support mailbox and the
customers' mailboxes) and an aiosmtpd server delivering into it, both on loopback, and
Ressenti over a throwaway folder pointed at them, with the scripted model of the
reliability tests (the turn is real; only the model's words are scripted)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.services.workspace import Workspace
from evals.simulators.chatwoot import ChatwootSimulator
from tests.fakes import SCRIPTED_PROFILE, ScriptedChatModel
from tests.integration.app.conftest import RoutedScript
from tests.integration.conftest import free_port
from tests.integration.reliability.proc import OnePassage, open_root
from tests.mailservers import Dovecot, SmtpDrop
from tools.crm.models import Customer
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from web.app import create_app
from web.serve import start

T = TypeVar("T")
TOKEN = "cw-bot-token"
SECRET = "cw-webhook-secret"
MAX_ATTEMPTS = 3


@dataclass
class Chatwoot:
    url: str
    workspace: Workspace
    simulator: ChatwootSimulator
    tokens: dict[str, str]

    def api(self, role: str = "agent") -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=60.0,
        )


def wait_for(what: Callable[[], T | None], timeout_s: float = 60.0, step_s: float = 0.1) -> T:
    """What `what` returns once it is truthy (observable state, polled)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError(f"still nothing after {timeout_s} s")


def approval_of(client: httpx.Client, conversation_id: str) -> dict[str, Any] | None:
    answer = client.get("/approvals")
    assert answer.status_code == 200, answer.text
    return next((a for a in answer.json() if a["conversation_id"] == conversation_id), None)


def deliveries_of(client: httpx.Client, conversation_id: str) -> Sequence[dict[str, Any]]:
    answer = client.get(f"/conversations/{conversation_id}")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])


@pytest.fixture(scope="module")
def chatwoot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chatwoot]:
    simulator = ChatwootSimulator(token=TOKEN, secret=SECRET, echo=True).start()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("chatwoot"),
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # the model is scripted
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        chatwoot_base_url=simulator.url,
        chatwoot_api_token=SecretStr(TOKEN),
        chatwoot_webhook_secret=SecretStr(SECRET),
        chatwoot_timeout_s=2.0,
        delivery_backoff_s=0.2,
        delivery_backoff_max_s=0.4,
        delivery_max_attempts=MAX_ATTEMPTS,
        worker_poll_s=0.1,
        demo_mode=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=5)
    store.close()
    model = ScriptedChatModel(script=RoutedScript([]))
    root = Root(settings, Overrides(llm=LLMClient(settings, model), knowledge=OnePassage()))
    tokens = {
        role: root.tokens.create(f"{role} token", role)[0]
        for role in ("integration", "agent", "admin")
    }
    workspace = root.workspace
    running = start(create_app(workspace), "127.0.0.1", free_port())
    workspace.start()
    simulator.webhook_url = f"{running.url}/api/v1/channels/chatwoot/webhook"
    try:
        yield Chatwoot(running.url, workspace, simulator, tokens)
    finally:
        running.stop()
        workspace.close()
        simulator.stop()


SUPPORT = "support@lumio.example"
SUPPORT_PASSWORD = "support-secret"
CAMILLE = "camille.martin@exemple.fr"
STRANGER = "inconnu@ailleurs.example"


@dataclass
class MailWorld:
    dovecot: Dovecot
    smtp: SmtpDrop
    settings: Settings
    root: Root


def mail_settings(folder: Path, dovecot: Dovecot, smtp: SmtpDrop, **extra: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": folder,
        "llm_base_url": "http://127.0.0.1:9/v1",  # never called: scripted
        "llm_profile": SCRIPTED_PROFILE,
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_user": SUPPORT,
        "imap_password": SUPPORT_PASSWORD,
        "imap_ssl": False,
        "imap_poll_s": 0.2,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_user": SUPPORT,
        "smtp_password": SUPPORT_PASSWORD,
        "smtp_starttls": False,
        "mail_from": f"Lumio <{SUPPORT}>",
        "worker_poll_s": 0.1,
        "delivery_fallback": "hold",
    }
    values.update(extra)
    return Settings(**values, _env_file=None)  # type: ignore[arg-type]


@pytest.fixture
def mail_world(tmp_path: Path) -> Iterator[MailWorld]:
    dovecot = Dovecot()
    dovecot.add_user(SUPPORT, SUPPORT_PASSWORD)
    for address in (CAMILLE, STRANGER):
        dovecot.add_user(address, "client-secret")
    dovecot.start()
    smtp = SmtpDrop(dovecot, login=SUPPORT, password=SUPPORT_PASSWORD)
    root: Root | None = None
    try:
        smtp.start()
        settings = mail_settings(tmp_path, dovecot, smtp)
        root = open_root(settings)
        root.store.insert_all(
            [
                Customer(
                    id="CUS-CAMILLE",
                    email=CAMILLE,
                    first_name="Camille",
                    last_name="Martin",
                    language="fr",
                    segment="standard",
                    created_at=datetime(2024, 3, 1, tzinfo=UTC),
                )
            ]
        )
        yield MailWorld(dovecot, smtp, settings, root)
    finally:
        if root is not None:
            root.close()
        smtp.stop()
        dovecot.stop()
