"""The composition root: one per process. It opens each real part once and builds every
service from them; nothing else in Ressenti opens a store, a knowledge base, an LLM client
or a checkpointer for a service.

What it opens, each on first use (so `ressenti users list` never loads the knowledge base):

- the CRM store, one engine for the CRM database;
- the knowledge base, with the packaged documents indexed once if it is empty (said
  through `report`);
- the LLM client;
- one checkpointer for both graphs (its serializer allows the union of their state types);
- the emotion reader (the fast reader, fused with the deep LLM reading where configured).

One clock stamps everything: the store's rows (turns, leases, decisions, deliveries
included) and both graphs' deps. From those parts it builds the support and marketing
services (the support service holds the `Intake` and the turn worker), the delivery
worker, the evaluations, the accounts with their sessions and sign-in desk, the API
tokens, the inbox, the dashboard figures and the app's `Workspace`; `doctor()` runs the
recovery pass and `start_workers()` runs the turn and delivery workers in this process
(the app's embedded worker, `ressenti worker`). `close()` stops the workers and closes
each part it opened, once, newest first.

Tests, benchmarks and the evaluation sandbox replace parts with `Overrides`, given when
the root is built; nothing is patched into a service afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from langgraph.checkpoint.base import BaseCheckpointSaver

from agents.channels import registry as channels
from agents.channels.chatwoot import ChatwootWebhook
from agents.channels.imap import MailPoller
from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.llm.client import LLMClient
from agents.marketing.graph import MarketingDeps
from agents.marketing.service import STATE_TYPES as MARKETING_STATE_TYPES
from agents.marketing.service import MarketingService
from agents.services.accounts import AccountStore
from agents.services.dashboard import DashboardData, dashboard_data
from agents.services.evaluations import Evaluations
from agents.services.inbox import Inbox
from agents.services.sessions import SessionStore, SignInDesk
from agents.services.tokens import ApiTokens
from agents.services.workspace import Workspace
from agents.support.adapters import (
    CRMContextSource,
    CRMInboundSource,
    CRMSupportWriter,
    EmotionLayerReader,
)
from agents.support.delivery import ChannelSender, DeliveryWorker, LocalRecordSender
from agents.support.extractive import SentenceEmbedder
from agents.support.graph import SupportDeps
from agents.support.policy import EscalationPolicy
from agents.support.ports import ContextSource, EmotionReader
from agents.support.recovery import RepairReport, doctor
from agents.support.schemas import HistoryLine
from agents.support.service import STATE_TYPES as SUPPORT_STATE_TYPES
from agents.support.service import SupportService
from evals.world import ContextWrapper
from knowledge import KNOWLEDGE_DIR
from tools.checkpoints import StateTypes, open_checkpointer, union
from tools.crm.audience import AudienceReader
from tools.crm.campaigns import CampaignRecords
from tools.crm.database import Clock, utc_now
from tools.crm.store import CRMStore
from tools.kb.search import KnowledgeBase, KnowledgeSearch, RetrievalResult

STATE_TYPES: StateTypes = union(SUPPORT_STATE_TYPES, MARKETING_STATE_TYPES)
"""What the process's one checkpointer may rebuild: the state types of both graphs."""

PartT = TypeVar("PartT")


class RootClosedError(RuntimeError):
    """A part was asked of a composition root that is already closed."""


@dataclass(frozen=True)
class Overrides:
    """Parts a test, a benchmark or the evaluation sandbox puts in place of the real ones
    (None: the real part, opened from the settings)."""

    llm: LLMClient | None = None
    """The LLM client of every service (e.g. one over a scripted chat model)."""
    llm_factory: Callable[[Settings], LLMClient] | None = None
    """Builds the LLM client on first use, when `llm` is not given."""
    emotions: EmotionReader | None = None
    """The support graph's emotion reader (else the emotion layer over the LLM client)."""
    clock: Clock | None = None
    """The clock of the whole process (else UTC now)."""
    knowledge: KnowledgeSearch | None = None
    """What both graphs search (else the configured knowledge base)."""
    contexts: ContextWrapper | None = None
    """Wraps the support graph's CRM context source."""
    senders: Mapping[str, ChannelSender] | None = None
    """The delivery worker's sender for each conversation channel (a channel without one
    uses the demo "none" channel, which records each send locally)."""


class LazyKnowledge:
    """The knowledge base, opened at the first search (and again after a failed opening):
    an unreachable Chroma fails the turns that search it (they go to a person with the
    reason) without keeping messages from being received."""

    def __init__(self, open_knowledge: Callable[[], KnowledgeSearch]) -> None:
        self._open = open_knowledge

    def resolve(self) -> KnowledgeSearch:
        return self._open()

    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        return self.resolve().search(query, lang=lang, k=k)


class LazyEmotions:
    """The emotion reader, loaded at the first reading (a model file that cannot be read
    fails the turns that need it, which go to a person, not the service)."""

    def __init__(self, open_reader: Callable[[], EmotionReader]) -> None:
        self._open = open_reader

    def resolve(self) -> EmotionReader:
        return self._open()

    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        return self.resolve().read(text, lang, history, facts)


class Root:
    """Ressenti over one set of settings: each part opened once, every service built from
    those parts. Thread-safe; use it as a context manager or call `close()`."""

    def __init__(
        self,
        settings: Settings,
        overrides: Overrides | None = None,
        *,
        report: Callable[[str], None] = lambda _: None,
        migrate: bool = True,
    ) -> None:
        """`report` hears what takes long (indexing the knowledge base); `migrate=False`
        opens the CRM database without upgrading its schema (`ressenti crm migrate`)."""
        self.settings = settings
        self.overrides = overrides or Overrides()
        self.clock: Clock = self.overrides.clock or utc_now
        self._report = report
        self._migrate = migrate
        self._lock = threading.RLock()
        self._parts: dict[str, object] = {}
        self._closers: list[Callable[[], None]] = []
        self._closed = False

    def __enter__(self) -> Root:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _once(self, name: str, build: Callable[[], PartT]) -> PartT:
        with self._lock:
            if self._closed:
                raise RootClosedError(f"the composition root is closed (asked for {name})")
            if name not in self._parts:
                self._parts[name] = build()
            return cast(PartT, self._parts[name])

    # --- what it opens -------------------------------------------------------------------
    @property
    def store(self) -> CRMStore:
        """The CRM store (one engine for the CRM database), stamped by the root's clock."""
        return self._once("store", self._open_store)

    def _open_store(self) -> CRMStore:
        store = CRMStore.from_settings(self.settings, clock=self.clock, upgrade=self._migrate)
        self._closers.append(store.close)
        return store

    @property
    def knowledge_base(self) -> KnowledgeBase:
        """The configured knowledge base as it is, empty or not (`ressenti kb` uses it)."""
        return self._once("knowledge_base", lambda: KnowledgeBase.open(self.settings))

    @property
    def knowledge(self) -> KnowledgeSearch:
        """What both graphs search: the override, else the knowledge base with the packaged
        documents indexed once if it was empty."""
        return self._once("knowledge", self._open_knowledge)

    def _open_knowledge(self) -> KnowledgeSearch:
        if self.overrides.knowledge is not None:
            return self.overrides.knowledge
        kb = self.knowledge_base
        if kb.count() == 0:
            self._report("The knowledge base is empty: indexing the packaged documents once.")
            kb.ingest(KNOWLEDGE_DIR)
        return kb

    @property
    def llm(self) -> LLMClient:
        """The process's LLM client."""
        return self._once("llm", self._open_llm)

    def _open_llm(self) -> LLMClient:
        if self.overrides.llm is not None:
            return self.overrides.llm
        return (self.overrides.llm_factory or LLMClient)(self.settings)

    @property
    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        """The one checkpointer of both graphs."""
        return self._once("checkpointer", self._open_checkpointer)

    def _open_checkpointer(self) -> BaseCheckpointSaver[Any]:
        saver, close = open_checkpointer(self.settings, STATE_TYPES)
        self._closers.append(close)
        return saver

    @property
    def emotions(self) -> EmotionReader:
        """The support graph's emotion reader."""
        return self._once("emotions", self._open_emotions)

    def _open_emotions(self) -> EmotionReader:
        if self.overrides.emotions is not None:
            return self.overrides.emotions
        settings = self.settings
        if settings.emotion_deep_enabled and not self.llm.profile.trusts("deep_reading"):
            # the model's profile does not trust its emotion reading: the fast reader alone
            self._report(
                f"The deep emotion reading is off: the model profile '{self.llm.profile.name}' "
                "does not trust it (RESSENTI_LLM_PROFILE forces another profile)."
            )
            settings = settings.model_copy(update={"emotion_deep_enabled": False})
        reader = EmotionLayerReader(settings, self.llm)
        if reader.deep is not None:
            self._closers.append(reader.deep.close)
        return reader

    # --- what it builds ------------------------------------------------------------------
    @property
    def support_deps(self) -> SupportDeps:
        """The support graph's dependencies (LangGraph Studio runs the graph with these)."""
        return self._once("support_deps", self._support_deps)

    def _support_deps(self) -> SupportDeps:
        contexts: ContextSource = CRMContextSource(self.store)
        if self.overrides.contexts is not None:
            contexts = self.overrides.contexts(contexts)
        return SupportDeps(
            settings=self.settings,
            llm=self.llm,
            policy=EscalationPolicy.load(self.settings.escalation_policy_path),
            contexts=contexts,
            emotions=LazyEmotions(lambda: self.emotions),
            knowledge=LazyKnowledge(lambda: self.knowledge),
            writer=CRMSupportWriter(self.store),
            inbound=CRMInboundSource(self.store),
            clock=self.clock,
            profile=self.llm.profile,
            sentence_embedder=self._sentence_embedder,
        )

    def _sentence_embedder(self) -> SentenceEmbedder | None:
        """The knowledge base's embedder, for the extractive draft's sentence scores (an
        overridden knowledge without one: word overlap only)."""
        return getattr(self.knowledge, "embedder", None)

    @property
    def support(self) -> SupportService:
        """The support service: intake, the turn worker, decisions, queues."""
        return self._once("support", self._support)

    def _support(self) -> SupportService:
        service = SupportService(self.support_deps, self.checkpointer, self.store)
        self._closers.append(service.worker.stop)
        return service

    @property
    def delivery(self) -> DeliveryWorker:
        """The delivery worker over the outbox (its senders: the configured channels'
        (`agents.channels.registry`), then `Overrides.senders`; a channel without one uses
        the demo "none" channel, recorded in `<data_dir>/outbound/none.jsonl`, unless
        `delivery_fallback` is `hold`)."""
        return self._once("delivery", self._delivery)

    def _delivery(self) -> DeliveryWorker:
        fallback = (
            LocalRecordSender(self.settings.data_dir / "outbound" / "none.jsonl")
            if self.settings.delivery_fallback == "none"
            else None
        )
        configured = channels.senders(self.settings, self.store)
        for sender in configured.values():
            close = getattr(sender, "close", None)
            if callable(close):
                self._closers.append(close)
        worker = DeliveryWorker(
            self.store,
            self.settings,
            {**configured, **(self.overrides.senders or {})},
            fallback=fallback,
        )
        self._closers.append(worker.stop)
        return worker

    @property
    def chatwoot(self) -> ChatwootWebhook:
        """The Chatwoot webhook's handler (signature, de-duplication, then `Intake`)."""
        return self._once(
            "chatwoot", lambda: ChatwootWebhook(self.settings, self.store, self.support.receive)
        )

    @property
    def mail_poller(self) -> MailPoller | None:
        """The poller of the support mailbox, when IMAP is configured (`imap_*`): new mail
        goes through the support service's `Intake`."""
        if not self.settings.imap_configured:
            return None
        return self._once("mail_poller", self._mail_poller)

    def _mail_poller(self) -> MailPoller:
        poller = MailPoller(self.settings, self.store, self.support.receive)
        self._closers.append(poller.stop)
        return poller

    def doctor(self) -> RepairReport:
        """The recovery pass over the CRM, the checkpoints and the outbox."""
        return doctor(self.support, self.delivery)

    def start_workers(self) -> RepairReport:
        """Runs the recovery pass, then the turn worker pool, the delivery worker and (when
        IMAP is configured) the mail poller on this process's threads (stopped by `close`)."""
        report = self.doctor()
        self.support.worker.start()
        self.delivery.start()
        if self.mail_poller is not None:
            self.mail_poller.start()
        return report

    @property
    def marketing(self) -> MarketingService:
        return self._once("marketing", self._marketing)

    def _marketing(self) -> MarketingService:
        records = CampaignRecords(self.store)
        audiences = AudienceReader(self.store)
        deps = MarketingDeps(
            settings=self.settings,
            llm=self.llm,
            audiences=audiences,
            knowledge=self.knowledge,
            records=records,
            clock=self.clock,
        )
        return MarketingService(deps, self.checkpointer, records, audiences)

    @property
    def evaluations(self) -> Evaluations:
        """The stored runs and suites; a graph suite's sandbox opens its own worlds."""
        return self._once(
            "evaluations",
            lambda: Evaluations(
                self.settings, llm_factory=lambda _: self.llm, open_world=open_support_world
            ),
        )

    @property
    def accounts(self) -> AccountStore:
        return self._once("accounts", lambda: AccountStore(self.store))

    @property
    def sessions(self) -> SessionStore:
        """The app's server-side sessions (expiry from the settings, the root's clock)."""
        return self._once("sessions", lambda: SessionStore(self.store, self.settings))

    @property
    def signins(self) -> SignInDesk:
        """Password sign-in with its throttle and audit."""
        return self._once(
            "signins",
            lambda: SignInDesk(self.accounts, self.sessions, self.store, self.settings),
        )

    @property
    def tokens(self) -> ApiTokens:
        """The HTTP API's bearer tokens."""
        return self._once("tokens", lambda: ApiTokens(self.store))

    @property
    def inbox(self) -> Inbox:
        return self._once("inbox", lambda: Inbox(self.support, self.store))

    def dashboard(self) -> DashboardData:
        """The supervisor's figures, computed now."""
        return dashboard_data(self.store)

    @property
    def workspace(self) -> Workspace:
        """Everything the app works over; closing it closes this root."""
        return self._once(
            "workspace",
            lambda: Workspace(
                settings=self.settings,
                store=self.store,
                accounts=self.accounts,
                support=self.support,
                inbox=self.inbox,
                marketing=self.marketing,
                evaluations=self.evaluations,
                on_start=self._start_embedded,
                sessions=self.sessions,
                signins=self.signins,
                tokens=self.tokens,
                delivery=self.delivery,
                chatwoot=self.chatwoot,
                on_close=self.close,
            ),
        )

    def _start_embedded(self) -> None:
        if self.settings.embedded_worker:
            report = self.start_workers()
            for line in report.lines():
                self._report(f"recovery: {line}")

    def close(self) -> None:
        """Close every part opened, once each, newest first (again: nothing to do)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            closers, self._closers = self._closers, []
        with ExitStack() as stack:  # every closer runs even when one of them fails
            for close in closers:
                stack.callback(close)


def open_support_world(
    settings: Settings,
    *,
    llm: LLMClient | None = None,
    contexts: ContextWrapper | None = None,
) -> Root:
    """A root for one evaluation world (`evals.world.OpenSupportWorld`): the evaluation
    sandbox opens one per worker, with that worker's LLM client and context recorder."""
    return Root(settings, Overrides(llm=llm, contexts=contexts))
