"""The composition root: one store, one knowledge base, one LLM client, one checkpointer
and one clock per process, shared by every service; opened lazily; overrides honoured;
each part closed once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph.state import CompiledStateGraph
from typer.testing import CliRunner

import agents.services.root as root_module
from agents.cli import app
from agents.core.config import Settings
from agents.emotion.deep import DeepReader
from agents.llm.client import LLMClient
from agents.marketing.service import STATE_TYPES as MARKETING_STATE_TYPES
from agents.services.root import (
    LazyEmotions,
    LazyKnowledge,
    Overrides,
    Root,
    RootClosedError,
    open_support_world,
)
from agents.support.adapters import CRMContextSource, EmotionLayerReader
from agents.support.ports import ContextSource
from agents.support.schemas import InboundMessage
from agents.support.service import STATE_TYPES as SUPPORT_STATE_TYPES
from tests.fakes import ScriptedChatModel
from tests.unit.kb.conftest import CountingEmbedder
from tests.unit.support.conftest import (
    ASSESS_SIMPLE,
    CALM,
    DELIVERY_PASSAGE,
    FakeContexts,
    FakeEmotions,
    FakeKnowledge,
)
from tools.checkpoints import union
from tools.crm.models import Conversation
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore
from tools.kb.search import KnowledgeBase

FIXED = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)
INDEXING = "The knowledge base is empty: indexing the packaged documents once."
QUESTION = "Bonjour, combien de jours ai-je pour retourner un article acheté en ligne ?"
DRAFT = "Bonjour Lucie, nous regardons votre demande de retour."


@dataclass
class Opened:
    """What the root opened and closed, counted at the real constructors."""

    stores: int = 0
    store_closes: int = 0
    knowledge_bases: int = 0
    ingests: int = 0
    checkpointers: int = 0
    checkpointer_closes: int = 0
    llm_clients: list[LLMClient] = field(default_factory=list)

    def llm_factory(self, *answers: str) -> Callable[[Settings], LLMClient]:
        def build(settings: Settings) -> LLMClient:
            client = LLMClient(settings, ScriptedChatModel.of(*answers))
            self.llm_clients.append(client)
            return client

        return build


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    seen = Opened()

    class CountingStore(CRMStore):
        @classmethod
        def from_settings(cls, settings: Settings, **kwargs: Any) -> CRMStore:
            seen.stores += 1
            return super().from_settings(settings, **kwargs)

        def close(self) -> None:
            seen.store_closes += 1
            super().close()

    class CountingKnowledgeBase(KnowledgeBase):
        @classmethod
        def open(cls, settings: Settings, embedder: Any = None) -> KnowledgeBase:
            seen.knowledge_bases += 1
            return super().open(settings, embedder or CountingEmbedder())

        def ingest(self, folder: Path, *, show_progress: bool = False) -> Any:
            seen.ingests += 1
            return super().ingest(folder, show_progress=show_progress)

    real_checkpointer = root_module.open_checkpointer

    def open_checkpointer(settings: Settings, state_types: Any) -> Any:
        seen.checkpointers += 1
        saver, close = real_checkpointer(settings, state_types)

        def counted_close() -> None:
            seen.checkpointer_closes += 1
            close()

        return saver, counted_close

    monkeypatch.setattr(root_module, "CRMStore", CountingStore)
    monkeypatch.setattr(root_module, "KnowledgeBase", CountingKnowledgeBase)
    monkeypatch.setattr(root_module, "open_checkpointer", open_checkpointer)
    return seen


def test_a_command_that_needs_the_store_opens_nothing_else(
    opened: Opened, settings: Settings, tmp_path: Path
) -> None:
    root = Root(settings, Overrides(llm_factory=opened.llm_factory()))
    assert root.accounts.list() == []
    assert (opened.stores, opened.knowledge_bases, opened.checkpointers) == (1, 0, 0)
    assert opened.llm_clients == []
    root.close()

    # `ressenti users list` opens one root for the command, the store alone, and closes it.
    env = {"RESSENTI_DATA_DIR": str(tmp_path / "cli-data"), "COLUMNS": "160"}
    listed = CliRunner().invoke(app, ["users", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert (opened.stores, opened.store_closes) == (2, 2)
    assert (opened.knowledge_bases, opened.checkpointers) == (0, 0)


def test_every_service_shares_one_store_knowledge_base_llm_client_and_checkpointer(
    opened: Opened, settings: Settings
) -> None:
    said: list[str] = []
    root = Root(
        settings,
        Overrides(llm_factory=opened.llm_factory(), emotions=FakeEmotions(CALM)),
        report=said.append,
    )
    workspace = root.workspace
    support, marketing = root.support, root.marketing
    deps = root.support_deps
    assert root.workspace is workspace and root.support is support and support.deps is deps
    assert workspace.support is support and workspace.marketing is marketing
    assert workspace.evaluations is root.evaluations and workspace.inbox is root.inbox
    root.dashboard()

    assert (opened.stores, opened.knowledge_bases, opened.checkpointers) == (1, 1, 1)
    assert opened.ingests == 1 and said == [INDEXING]
    assert opened.llm_clients == [root.llm]

    store = root.store
    assert isinstance(deps.contexts, CRMContextSource) and deps.contexts.store is store
    for user in (
        deps.writer,
        marketing.audiences,
        marketing.records,
        root.accounts,
        root.inbox,
        workspace,
    ):
        assert user.store is store  # type: ignore[attr-defined]
    assert isinstance(deps.knowledge, LazyKnowledge)  # opened at the first search
    assert deps.knowledge.resolve() is marketing.deps.knowledge is root.knowledge_base
    assert deps.llm is marketing.deps.llm is root.llm
    assert support.graph.checkpointer is marketing.graph.checkpointer is root.checkpointer
    assert support.store is store and support.worker.store is store
    assert root.delivery.store is store
    root.close()

    # The next process finds the knowledge base filled: no second indexing.
    again: list[str] = []
    with Root(settings, Overrides(emotions=FakeEmotions(CALM)), report=again.append) as second:
        assert second.knowledge is second.knowledge_base
    assert opened.ingests == 1 and again == []


def test_one_checkpointer_may_rebuild_both_graphs_state_types() -> None:
    merged = union(SUPPORT_STATE_TYPES, MARKETING_STATE_TYPES)
    assert merged == root_module.STATE_TYPES
    for types in (SUPPORT_STATE_TYPES, MARKETING_STATE_TYPES):
        for module, names in types.items():
            assert set(names) <= set(merged[module])
    assert union({"m": ("A", "B")}, {"m": ("B", "C")}) == {"m": ("A", "B", "C")}


def test_one_clock_stamps_the_store_both_graphs_and_the_turns(
    opened: Opened, settings: Settings
) -> None:
    root = Root(
        settings,
        Overrides(
            llm_factory=opened.llm_factory(ASSESS_SIMPLE, DRAFT, DRAFT, DRAFT),
            emotions=FakeEmotions(CALM),
            knowledge=FakeKnowledge([DELIVERY_PASSAGE]),
            clock=lambda: FIXED,
        ),
    )
    clock = root.clock
    assert clock() == FIXED
    assert root.store.clock is clock
    assert root.support_deps.clock is clock
    assert root.marketing.deps.clock is clock

    # A turn through the root's service: the conversation and its turn read the same clock.
    seed_demo(root.store, customers=3)
    conversation = root.store.open_conversation("C00001", channel="email", subject="Retour")
    result = root.support.submit(InboundMessage(conversation_id=conversation, text=QUESTION))
    assert result.outcome in ("awaiting_approval", "handed_off")
    with root.store.reading() as session:
        started = session.get(Conversation, conversation).started_at  # type: ignore[union-attr]
    [turn] = root.store.turns.turns_of(conversation)
    updated = turn.updated_at
    naive = FIXED.replace(tzinfo=None)
    assert started.replace(tzinfo=None) == naive
    assert updated.replace(tzinfo=None) == naive
    root.close()


def test_overrides_are_honoured_and_nothing_is_patched_afterwards(
    opened: Opened, settings: Settings
) -> None:
    llm = LLMClient(settings, ScriptedChatModel.of())
    emotions = FakeEmotions(CALM)
    knowledge = FakeKnowledge([DELIVERY_PASSAGE])
    wrapped: list[ContextSource] = []
    replacement = FakeContexts({})

    def wrap(inner: ContextSource) -> ContextSource:
        wrapped.append(inner)
        return replacement

    with Root(
        settings, Overrides(llm=llm, emotions=emotions, knowledge=knowledge, contexts=wrap)
    ) as root:
        deps = root.support_deps
        assert deps.llm is llm and root.marketing.deps.llm is llm and root.llm is llm
        assert isinstance(deps.emotions, LazyEmotions) and deps.emotions.resolve() is emotions
        assert isinstance(deps.knowledge, LazyKnowledge)
        assert deps.knowledge.resolve() is knowledge and root.marketing.deps.knowledge is knowledge
        assert deps.contexts is replacement
        [inner] = wrapped
        assert isinstance(inner, CRMContextSource) and inner.store is root.store
    assert opened.knowledge_bases == 0  # the override stands in for the knowledge base

    # What the evaluation sandbox is handed: a world built with the worker's own parts.
    recorded: list[ContextSource] = []

    def record(inner: ContextSource) -> ContextSource:
        recorded.append(inner)
        return inner

    with open_support_world(settings, llm=llm, contexts=record) as world:
        world_deps = world.support.deps
        assert world_deps.llm is llm
        assert recorded == [world_deps.contexts]


def test_close_closes_each_part_once(opened: Opened, settings: Settings) -> None:
    deep = settings.model_copy(update={"emotion_deep_enabled": True})
    root = Root(deep, Overrides(llm_factory=opened.llm_factory()))
    root.workspace.support.pending()
    reader = root.emotions
    assert isinstance(reader, EmotionLayerReader) and isinstance(reader.deep, DeepReader)
    assert reader.deep.client is root.llm  # the deep reading uses the process's one client

    root.workspace.close()  # the app closes its workspace: that closes the root
    root.close()
    assert (opened.store_closes, opened.checkpointer_closes) == (1, 1)
    assert reader.deep._pool._shutdown  # the deep reader's threads are released
    with pytest.raises(RootClosedError):
        root.store  # noqa: B018 - a closed root hands out nothing


def test_studio_builds_its_graph_without_opening_anything(opened: Opened) -> None:
    import agents.studio as studio

    assert isinstance(studio.graph, CompiledStateGraph)
    assert (opened.stores, opened.knowledge_bases, opened.checkpointers) == (0, 0, 0)
