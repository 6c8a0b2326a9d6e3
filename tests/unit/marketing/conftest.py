"""Marketing harness: a small seeded CRM in SQLite, in-memory knowledge passages, a
scripted chat model, SQLite checkpoints under a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.marketing.graph import MarketingDeps
from agents.marketing.schemas import Brief
from agents.marketing.service import STATE_TYPES, MarketingService
from tests.fakes import ScriptedChatModel
from tools.checkpoints import open_checkpointer
from tools.crm.audience import AudienceReader
from tools.crm.campaigns import CampaignRecords
from tools.crm.seed import DEMO_NOW, seed_demo
from tools.crm.store import CRMStore
from tools.kb.search import Passage, RetrievalResult

OFFER_PASSAGE = Passage(
    citation="offre-fibre#les-offres",
    doc_id="offre-fibre",
    title="Offres Lumio Fibre",
    section="Les offres",
    lang="fr",
    version="2026.09",
    updated="2026-09-05",
    text=(
        "| Offre | Débit | Prix mensuel | Engagement |\n|---|---|---|---|\n"
        "| Lumio Fibre 2G | 2 Gbit/s / 1 Gbit/s | 39,99 € | 12 mois |\n"
        "Frais de mise en service : 39 €, offerts pour une souscription en ligne."
    ),
    score=0.6,
)
VOICE_PASSAGE = Passage(
    citation="brand-voice#our-principles",
    doc_id="brand-voice",
    title="Brand voice",
    section="Our principles",
    lang="en",
    version="2.0",
    updated="2026-03-22",
    text="Clear before clever. Warm, not sugary. No false urgency in marketing messages.",
    score=0.5,
)


class FakeKnowledge:
    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        passages = (VOICE_PASSAGE,) if "brand voice" in query else (OFFER_PASSAGE,)
        return RetrievalResult(query, passages, 0.22)


def proposal(**overrides: Any) -> str:
    values: dict[str, Any] = {
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
    values.update(overrides)
    return json.dumps(values, ensure_ascii=False)


FLAGGED_BODY = (
    "Bonjour {{first_name}},\n\nDernière chance : la fibre 2G à 39,99 € par mois, c'est maintenant."
)


def brief(**overrides: Any) -> Brief:
    values: dict[str, Any] = {
        "name": "Fibre 2G premium",
        "goal": "Faire passer les clients premium à la fibre 2G.",
        "offer": "Lumio Fibre 2G",
        "segment": {"segment": "premium"},
        "target_emotion": "gratitude",
        "lang": "fr",
        "variants": 2,
    }
    values.update(overrides)
    return Brief.model_validate(values)


@dataclass
class Harness:
    service: MarketingService
    model: ScriptedChatModel
    store: CRMStore


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo company of 60 customers, seeded once; tests copy the file."""
    folder = tmp_path_factory.mktemp("marketing-crm")
    url = f"sqlite:///{folder / 'crm.db'}"
    store = CRMStore.from_url(url)
    seed_demo(store, customers=60, seed=11)
    store.close()
    return str(folder / "crm.db")


@pytest.fixture
def make_harness(settings: Settings, seeded_db: str) -> Iterator[Any]:
    import shutil

    opened: list[Harness] = []
    database = settings.data_dir / "crm.db"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(seeded_db, database)
    settings = settings.model_copy(update={"database_url": f"sqlite:///{database}"})

    def make(*answers: str | BaseException, llm_compliance: bool = False) -> Harness:
        model = ScriptedChatModel.of(*answers)
        store = CRMStore.from_url(settings.resolved_database_url(), clock=lambda: DEMO_NOW)
        run_settings = settings.model_copy(update={"marketing_llm_compliance": llm_compliance})
        deps = MarketingDeps(
            settings=run_settings,
            llm=LLMClient(run_settings, model),
            audiences=AudienceReader(store),
            knowledge=FakeKnowledge(),
            records=CampaignRecords(store),
            clock=lambda: DEMO_NOW,
        )
        checkpointer, close = open_checkpointer(run_settings, STATE_TYPES)

        def close_all() -> None:
            close()
            store.close()

        service = MarketingService(
            deps, checkpointer, CampaignRecords(store), AudienceReader(store), on_close=close_all
        )
        harness = Harness(service, model, store)
        opened.append(harness)
        return harness

    yield make
    for harness in opened:
        harness.service.close()
