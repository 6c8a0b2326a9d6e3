"""Everything the app works over: the store, accounts and their sessions, the API tokens,
the support and marketing services, the evaluation runs, the inbox queries and the
dashboard figures. The composition root
(`agents/services/root.py`) builds it from parts it opened once; tests build one from a
root with a scripted model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents.channels.chatwoot import ChatwootWebhook
from agents.core.config import Settings
from agents.marketing.service import MarketingService
from agents.services.accounts import AccountStore
from agents.services.dashboard import DashboardData, dashboard_data
from agents.services.evaluations import Evaluations
from agents.services.inbox import Inbox
from agents.services.insights import Insights
from agents.services.sessions import SessionStore, SignInDesk
from agents.services.tokens import ApiTokens
from agents.support.delivery import DeliveryWorker
from agents.support.service import SupportService
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
    sessions: SessionStore
    """The app's signed-in browsers (every event reads its caller from here)."""
    signins: SignInDesk
    tokens: ApiTokens
    """The HTTP API's bearer tokens."""
    delivery: DeliveryWorker | None = None
    """The delivery worker (woken after an agent's retry)."""
    chatwoot: ChatwootWebhook | None = None
    """The Chatwoot webhook's handler."""
    on_start: Callable[[], None] = lambda: None
    """Starts what runs beside the app (the recovery pass and the embedded workers)."""
    on_close: Callable[[], None] = lambda: None
    """Closes what the workspace was built from (the root that opened it)."""

    def dashboard(self) -> DashboardData:
        return dashboard_data(self.store)

    def insights(self) -> Insights:
        """What `ressenti analyze` stored, as the insights tab reads it."""
        return Insights(self.store)

    def start(self) -> None:
        """Called once the app is up: recovery, then the embedded turn and delivery
        workers (unless `embedded_worker` is off because `ressenti worker` runs them)."""
        self.on_start()

    def close(self) -> None:
        self.on_close()
