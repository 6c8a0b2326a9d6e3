"""The app in a real browser: the whole application (sign-in, API, the Gradio page) served
by uvicorn on a free port, driven by the system's headless Chromium through Playwright
(never a downloaded browser).

Two kinds of app: one over a scripted model (the UI flows need a known draft and a known
route), one over the session's real vLLM server. Both use the real stores: a seeded CRM in
SQLite, the knowledge base indexed in an embedded Chroma, the real fast emotion reader.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from playwright.sync_api import Browser, Page, expect, sync_playwright

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.accounts import AccountStore, seed_demo_accounts
from agents.services.root import Overrides, Root
from agents.services.workspace import Workspace
from knowledge import KNOWLEDGE_DIR
from tests.fakes import SCRIPTED_PROFILE, Call, Script, ScriptedChatModel
from tests.integration.conftest import free_port
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from tools.kb.search import KnowledgeBase
from web.app import create_app
from web.serve import start

# Assertions wait on what the page shows; on 2 shared cores a relabel can take seconds.
expect.set_options(timeout=20_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[3] / "var" / "screenshots"
"""Where the tests leave a screenshot of each tab (ignored by git)."""

ASSESSMENT = json.dumps(
    {
        "summary": "Le client demande où en est sa commande.",
        "intents": ["suivi de commande"],
        "complexity": "low",
        "sensitive_topics": ["none"],
        "policy_exception_requested": False,
    }
)
FIRST_DRAFT = (
    "Bonjour, merci pour votre message. Je regarde votre commande et je reviens vers vous "
    "aujourd'hui avec une réponse précise. Bonne journée."
)
REDRAFT = "Bonjour, je m'en occupe tout de suite et je vous rappelle avant ce soir."
GESTURE_REQUEST = "Je veux un geste commercial de 80 euros pour ce retard."
GESTURE_DRAFT = (
    "Bonjour, nous vous accordons un geste commercial de 80 € sur votre prochaine facture."
)
"""A draft over the policy's gesture limit: the check finds a blocking problem."""


INSTRUCTION = "Plus court, proposez un rappel."
PASSAGE_ID = re.compile(r'<passage id="([^"]+)"')

OFFER_FACTS = "Lumio Fibre 2G : 2 Gbit/s, 39,99 € par mois, engagement 12 mois."
CLEAN_VARIANT = {
    "subject": "Votre fibre passe à 2 Gbit/s",
    "preheader": "Lumio Fibre 2G, 39,99 € par mois",
    "body": (
        "Bonjour {{first_name}},\n\nMerci de votre fidélité. Lumio Fibre 2G vous apporte "
        "2 Gbit/s pour 39,99 € par mois, avec un engagement de 12 mois."
    ),
    "call_to_action": "Découvrir l'offre",
    "emotion": "gratitude",
    "rationale": "Le segment est fidèle ; la gratitude précède l'offre.",
}
FLAGGED_VARIANT = {
    **CLEAN_VARIANT,
    "subject": "Dernière chance pour la fibre 2G",
    "body": (
        "Bonjour {{first_name}},\n\nDernière chance : la fibre 2G à 39,99 € par mois, "
        "c'est maintenant ou jamais pour votre foyer."
    ),
}


class RoutedScript(Script):
    """Answers structured calls with the assessment (or a marketing variant) and text calls
    with a draft: the redraft when the prompt carries the human's instruction, the first
    draft otherwise.

    (A turn asks for an assessment, then a draft; a redraft asks for a draft only: a plain
    queue of answers would tie the script to the order the tests run in.)
    """

    variants = 0
    """Marketing variants answered so far."""

    def next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        self.calls.append(Call(list(messages), dict(kwargs)))
        if "response_format" in kwargs:
            if kwargs["response_format"]["json_schema"]["name"] == "VariantProposal":
                # Marketing variants alternate: a clean one, then one with false urgency.
                self.variants += 1
                chosen = CLEAN_VARIANT if self.variants % 2 else FLAGGED_VARIANT
                return json.dumps(chosen, ensure_ascii=False)
            return ASSESSMENT
        prompt = "\n".join(str(m.content) for m in messages)
        draft = REDRAFT if INSTRUCTION in prompt else FIRST_DRAFT
        return f"{draft}{cited(prompt)}"


def cited(prompt: str) -> str:
    """A citation of the first passage the draft prompt shows (a model that follows the
    prompt cites its source; a draft citing none would be blocked), else nothing."""
    found = PASSAGE_ID.search(prompt)
    return f" [{found.group(1)}]" if found else ""


@dataclass
class RunningApp:
    url: str
    workspace: Workspace
    settings: Settings


def prepare_data(settings: Settings) -> None:
    """The demo company, the demo accounts and the knowledge base, as `make run` has them
    (in demo mode: the settings of these apps turn it on for their throwaway folder)."""
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=30)
    seed_demo_accounts(AccountStore(store))
    store.close()
    knowledge = KnowledgeBase.open(settings)
    if knowledge.count() == 0:
        knowledge.ingest(KNOWLEDGE_DIR)


def serve(workspace: Workspace, settings: Settings) -> Iterator[RunningApp]:
    """The app as `make run` serves it: the page over the HTTP app, and the embedded turn and
    delivery workers (a simulated message goes through Intake; a worker runs its turn)."""
    running = start(create_app(workspace), "127.0.0.1", free_port())
    workspace.start()
    try:
        yield RunningApp(running.url, workspace, settings)
    finally:
        running.stop()
        workspace.close()


@pytest.fixture(scope="module")
def install_folder() -> Iterator[Path]:
    """A data folder outside the system's temporary directory, as a default install has
    (`~/.local/share/ressenti`): Gradio serves files from its temporary directory on its
    own, so a test app over a temporary folder would hide a file the page cannot offer."""
    folder = Path.home() / ".cache" / f"ressenti-test-{uuid.uuid4().hex[:12]}"
    assert not folder.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def scripted_app(install_folder: Path) -> Iterator[RunningApp]:
    settings = Settings(
        data_dir=install_folder,
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens: the model is scripted
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        marketing_llm_compliance=False,  # the studio's flags come from the code rules
        demo_mode=True,  # the demo accounts, as `make run` has them
        _env_file=None,  # type: ignore[call-arg]
    )
    prepare_data(settings)
    model = ScriptedChatModel(script=RoutedScript([]))
    workspace = Root(settings, Overrides(llm=LLMClient(settings, model))).workspace
    yield from serve(workspace, settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the system Chromium is missing: `make test` installs it"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, url: str, email: str, password: str = "ressenti-demo") -> None:
    """Signs in on the sign-in page (a new session replaces the browser's current one)."""
    page.goto(f"{url}/signin")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#signin-button").click()


def choose(page: Page, elem_id: str, text: str) -> str:
    """Picks a dropdown's choice by clicking the option that shows `text`; returns its label.

    Typing only filters the list: pressing Enter before it has filtered keeps the previous
    choice while the typed text still looks right. Clicking the option, then waiting for
    the input to hold that option's whole label, leaves no such race.
    """
    picker = page.locator(f"#{elem_id} input")
    picker.click()
    picker.fill(text)
    option = page.locator("[role=option]:visible", has_text=text).first
    label = option.inner_text().replace("✓", "").strip()  # the current choice is ticked
    option.click()
    expect(picker).to_have_value(label)
    return label
