"""What an evaluation runs the product in, handed in from above.

`evals` sits below `agents.services` in the layers, so it cannot open Ressenti itself: the
composition root (`agents/services/root.py`) hands its `open_support_world` in, through
`EvalContext(open_world=...)` and `Sandbox(open_world=...)`. A world is Ressenti opened over
one data folder with the overrides an evaluation needs, built that way from the start:
nothing is patched into a service after it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.support.ports import ContextSource
from agents.support.service import SupportService
from tools.crm.store import CRMStore
from tools.kb.search import KnowledgeSearch

ContextWrapper = Callable[[ContextSource], ContextSource]
"""Wraps the CRM context source (the sandbox records whose context each turn loads)."""


class SupportWorld(Protocol):
    """Ressenti's support side over one data folder; each part is opened once, on first use."""

    @property
    def store(self) -> CRMStore: ...

    @property
    def support(self) -> SupportService: ...

    @property
    def knowledge(self) -> KnowledgeSearch:
        """The knowledge base, with the packaged documents indexed if it was empty."""
        ...

    def close(self) -> None: ...


class OpenSupportWorld(Protocol):
    def __call__(
        self,
        settings: Settings,
        *,
        llm: LLMClient | None = None,
        contexts: ContextWrapper | None = None,
    ) -> SupportWorld:
        """Ressenti over `settings`, with this LLM client (else the configured one) and the
        CRM context source wrapped by `contexts`; the caller closes it."""
        ...
