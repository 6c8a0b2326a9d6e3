"""A Ressenti process for the reliability tests: `run(role, env, connection)`, started by
a fork server (`multiprocessing`'s "forkserver", which has imported this module once, so a
new process starts in a fraction of a second) with its settings in `RESSENTI_*` variables
(the data folder, the databases, short leases, a crash point) and a scripted model (its
delay between two words in `RELIABILITY_TOKEN_DELAY_S`). Everything else is the real
product: the CRM, the checkpoints, the turn and delivery workers, the recovery pass. Each
one is a process of its own, killed with SIGKILL.

Roles (messages through the connection):
- `worker`: the recovery pass, then the turn and delivery workers until killed, as
  `ressenti worker` runs them;
- `decider`: says `{"ready": true}`, then for each job (`conversation_id`, `interrupt_id`,
  `action`, `text`, `reviewer`, `go_at`) waits until `go_at` (epoch seconds), decides, and
  answers `won` and `error`; used for races between processes;
- `receive`: stores the inbound message it is sent (an `InboundEnvelope` as JSON), answers
  its ids, then waits to be killed (a process that dies right after storing a message).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from langchain_core.messages import BaseMessage

from agents.cli.worker import serve_workers
from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.llm.client import LLMClient
from agents.services.root import Overrides, Root
from agents.support.intake import InboundEnvelope
from agents.support.schemas import ApprovalDecision, HistoryLine
from agents.support.service import AlreadyDecidedError
from tests.fakes import Call, Script, ScriptedChatModel
from tools.kb.search import Passage, RetrievalResult

ASSESSMENT = json.dumps(
    {
        "summary": "Le client demande où en est son colis.",
        "intents": ["suivi de colis"],
        "complexity": "low",
        "sensitive_topics": ["none"],
        "policy_exception_requested": False,
    }
)
DRAFT = (
    "Bonjour, votre colis est en route. Au-delà de 5 jours ouvrés il est considéré en retard"
    " [livraison-retards#colis-en-retard] et nous revenons alors vers vous sans attendre."
)


class Answers(Script):
    """As many turns as asked: an assessment for a structured call, the draft otherwise."""

    def next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        self.calls.append(Call(list(messages), dict(kwargs)))
        return ASSESSMENT if "response_format" in kwargs else DRAFT


PASSAGE = Passage(
    citation="livraison-retards#colis-en-retard",
    doc_id="livraison-retards",
    title="Retards de livraison",
    section="Colis en retard",
    lang="fr",
    version="1",
    updated="2026-10-01",
    text="Un colis est considéré en retard après 5 jours ouvrés.",
    score=0.7,
)


class OnePassage:
    """The knowledge base of these tests: one good passage for every question."""

    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        return RetrievalResult(query, (PASSAGE,), 0.22)


class Calm:
    """A calm reading for every message (the routing then drafts)."""

    def read(
        self, text: str, lang: Lang | None, history: Sequence[HistoryLine], facts: str
    ) -> EmotionReading:
        return EmotionReading(label="neutral", valence=0.0, intensity=0.2)


def open_root(settings: Settings | None = None) -> Root:
    """Ressenti over the environment's settings, with the scripted (slow) model."""
    settings = settings or Settings()
    delay = float(os.environ.get("RELIABILITY_TOKEN_DELAY_S", "0"))
    model = ScriptedChatModel(script=Answers([]), token_delay_s=delay)
    return Root(
        settings,
        Overrides(llm=LLMClient(settings, model), knowledge=OnePassage(), emotions=Calm()),
    )


def decider(root: Root, connection: Connection) -> None:
    support = root.support
    connection.send({"ready": True})
    while True:
        job = connection.recv()
        decision = ApprovalDecision(action=job["action"], text=job.get("text"))
        time.sleep(max(0.0, job["go_at"] - time.time()))
        try:
            support.decide(job["conversation_id"], job["interrupt_id"], decision, job["reviewer"])
            connection.send({"won": True, "error": None})
        except AlreadyDecidedError as exc:
            connection.send({"won": False, "error": str(exc)})


def receive(root: Root, connection: Connection) -> None:
    envelope = InboundEnvelope.model_validate_json(connection.recv())
    received = root.support.receive(envelope)
    connection.send({"conversation_id": received.conversation_id, "turn_id": received.turn_id})
    threading.Event().wait()  # until killed


def run(role: str, env: dict[str, str], connection: Connection) -> None:
    """The body of one test process (its settings from `env`)."""
    for name in [n for n in os.environ if n.startswith(("RESSENTI_", "RELIABILITY_"))]:
        del os.environ[name]
    os.environ.update(env)
    root = open_root()
    try:
        if role == "worker":
            serve_workers(root)
        elif role == "decider":
            decider(root, connection)
        elif role == "receive":
            receive(root, connection)
        else:
            raise ValueError(f"unknown role {role!r}")
    finally:
        root.close()
