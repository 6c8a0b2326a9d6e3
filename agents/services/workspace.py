"""Everything the app works over, opened once: the store, accounts, the support and
marketing services, the evaluation runs, the inbox queries and the dashboard figures.
Tests build one with a scripted model."""

from __future__ import annotations

from dataclasses import dataclass

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.marketing.service import MarketingService
from agents.marketing.wiring import open_marketing_service
from agents.services.accounts import AccountStore
from agents.services.dashboard import DashboardData, dashboard_data
from agents.services.evaluations import Evaluations
from agents.services.inbox import Inbox
from agents.support.ports import EmotionReader
from agents.support.service import SupportService
from agents.support.wiring import open_support_service
from tools.crm.store import CRMStore


@dataclass
class Workspace:
    settings: Settings
    store: CRMStore
    accounts: AccountStore
    support: SupportService
    inbox: Inbox
    marketing: MarketingService
    evaluations: Evaluations

    def dashboard(self) -> DashboardData:
        return dashboard_data(self.store)

    def close(self) -> None:
        self.marketing.close()
        self.support.close()
        self.store.close()


def open_workspace(
    settings: Settings, *, llm: LLMClient | None = None, emotions: EmotionReader | None = None
) -> Workspace:
    store = CRMStore.from_settings(settings)
    support = open_support_service(settings, llm=llm, emotions=emotions)
    return Workspace(
        settings=settings,
        store=store,
        accounts=AccountStore(store),
        support=support,
        inbox=Inbox(support, store),
        marketing=open_marketing_service(settings, llm=llm),
        evaluations=Evaluations(settings, llm_factory=(lambda _: llm) if llm else None),
    )
