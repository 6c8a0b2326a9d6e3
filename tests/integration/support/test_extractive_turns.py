"""Plain questions on the embedded default model's profile: the real graph, the real CRM,
the real knowledge base (Chroma, the demo documents, the default embedder) and the real
fast emotion reader. The profile trusts the model with nothing, so the model is never
called (a scripted model with no answer stands for it: a call would fail the turn) and each
reply is composed from the passages, cited, and waits for a person's approval."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.schemas import InboundMessage
from tests.fakes import ScriptedChatModel
from tools.crm.models import Customer
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore

QUESTIONS = [
    ("fr", "Combien de jours ai-je pour renvoyer un article acheté sur la boutique ?", "retour"),
    ("en", "How long does express delivery take?", "delivery-delays-en"),
    ("fr", "Quel est le préavis pour résilier mon abonnement Lumio Fibre ?", "resiliation"),
    ("en", "What is the notice period to cancel my fibre plan?", "cancellation-notice-en"),
    ("fr", "Pourquoi ma facture est-elle plus élevée que d'habitude ce mois-ci ?", "factur"),
    ("en", "My last invoice looks higher than usual, why is that?", "billing-disputes-en"),
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Root]:
    data_dir: Path = tmp_path_factory.mktemp("extractive")
    settings = Settings(
        data_dir=data_dir,
        llm_base_url="http://127.0.0.1:9/v1",
        llm_profile="embedded-smollm2-135m",
        _env_file=None,  # type: ignore[call-arg]
    )
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=12)
    store.close()
    model = ScriptedChatModel.of()
    with Root(settings, Overrides(llm=LLMClient(settings, model))) as opened:
        yield opened
    assert model.calls == []


_USED: set[str] = set()


def _fresh_customer(store: CRMStore, lang: str) -> str:
    """A demo customer writing in `lang` not asked yet (three contacts in 30 days hand the
    conversation to a person, which is not what these questions test)."""
    with store.reading() as session:
        ids = session.scalars(
            select(Customer.id).where(Customer.language == lang).order_by(Customer.id)
        ).all()
    customer = next(i for i in ids if i not in _USED)
    _USED.add(customer)
    return customer


@pytest.mark.parametrize(("lang", "question", "source"), QUESTIONS)
def test_a_plain_question_gets_a_cited_readable_draft(
    root: Root, lang: str, question: str, source: str
) -> None:
    store = root.store
    customer = _fresh_customer(store, lang)
    conversation = store.open_conversation(customer, channel="email", subject=question[:30])
    result = root.support.submit(InboundMessage(conversation_id=conversation, text=question))

    assert result.outcome == "awaiting_approval", (result.decision, result.draft)
    request = result.approval_request
    assert request is not None and request.draft_mode == "extractive"
    assert request.citations, result.draft
    assert any(source in c for c in request.citations), request.citations
    assert all(f"[{c}]" in result.draft for c in request.citations)
    assert not [f for f in result.findings if f.blocking], result.findings
    greeting = "Bonjour" if lang == "fr" else "Hello"
    assert result.draft.startswith(greeting)
