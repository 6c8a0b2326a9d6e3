"""The marketing service over Ressenti's real parts: CRM store, knowledge base, LLM and
the configured checkpointer."""

from __future__ import annotations

from collections.abc import Callable

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.marketing.graph import MarketingDeps
from agents.marketing.service import STATE_TYPES, MarketingService
from knowledge import KNOWLEDGE_DIR
from tools.checkpoints import open_checkpointer
from tools.crm.audience import AudienceReader
from tools.crm.campaigns import CampaignRecords
from tools.crm.store import CRMStore
from tools.kb.search import KnowledgeBase, KnowledgeSearch


def open_marketing_service(
    settings: Settings,
    *,
    llm: LLMClient | None = None,
    knowledge: KnowledgeSearch | None = None,
    report: Callable[[str], None] = lambda _: None,
) -> MarketingService:
    """The marketing service over the configured stores (the caller closes it)."""
    store = CRMStore.from_settings(settings)
    if knowledge is None:
        kb = KnowledgeBase.open(settings)
        if kb.count() == 0:
            report("The knowledge base is empty: indexing the packaged documents once.")
            kb.ingest(KNOWLEDGE_DIR)
        knowledge = kb
    records = CampaignRecords(store)
    audiences = AudienceReader(store)
    deps = MarketingDeps(
        settings=settings,
        llm=llm or LLMClient(settings),
        audiences=audiences,
        knowledge=knowledge,
        records=records,
        clock=store.clock,
    )
    checkpointer, close_checkpoints = open_checkpointer(settings, STATE_TYPES)

    def close() -> None:
        close_checkpoints()
        store.close()

    return MarketingService(deps, checkpointer, records, audiences, on_close=close)
