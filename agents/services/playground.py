"""The model server's status for the app header; the messages of `ressenti llm ask`.

Both return facts, not sentences: the app words the status from its label catalogue, the
command line words a refused prompt from its own (`agents/cli/texts.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from langchain_core.messages import BaseMessage

import prompts
from agents.core.lang import Lang
from agents.llm.client import LLMClient

MAX_PROMPT_CHARS = 4000


class PromptRejectedError(ValueError):
    """The prompt cannot be sent as it is: empty, or longer than `limit` characters."""

    def __init__(self, reason: Literal["empty", "too_long"], length: int = 0) -> None:
        super().__init__(f"prompt {reason.replace('_', ' ')} ({length} characters)")
        self.reason = reason
        self.length = length
        self.limit = MAX_PROMPT_CHARS


@dataclass(frozen=True)
class StatusReport:
    """What the page shows about the model server."""

    state: Literal["ready", "unreachable", "not_served"]
    model: str
    """The model name clients ask for (`RESSENTI_LLM_MODEL`)."""
    base_url: str
    detail: str = ""
    """Why the server could not be reached (`unreachable`)."""
    served: list[str] = field(default_factory=list)
    """The models the server does serve (`not_served`)."""

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def playground_messages(question: str, lang: Lang = "fr") -> list[BaseMessage]:
    cleaned = question.strip()
    if not cleaned:
        raise PromptRejectedError("empty")
    if len(cleaned) > MAX_PROMPT_CHARS:
        raise PromptRejectedError("too_long", len(cleaned))
    return prompts.load("playground").render(lang, question=cleaned)


def server_status(client: LLMClient) -> StatusReport:
    health = client.health()
    model = client.settings.llm_model
    if health.detail == "ready":
        return StatusReport("ready", model, health.base_url)
    if not health.reachable:
        return StatusReport("unreachable", model, health.base_url, detail=health.detail)
    return StatusReport("not_served", model, health.base_url, served=list(health.served_models))
