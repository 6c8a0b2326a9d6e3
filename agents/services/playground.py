"""The model server's status for the app header; the messages of `ressenti llm ask`."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.messages import BaseMessage

import prompts
from agents.core.lang import Lang
from agents.llm.client import LLMClient

MAX_PROMPT_CHARS = 4000


class PromptRejectedError(ValueError):
    """The prompt cannot be sent as it is (empty or too long); the message says why."""


@dataclass(frozen=True)
class StatusReport:
    """What the page shows about the model server."""

    ready: bool
    text: str


def playground_messages(question: str, lang: Lang = "fr") -> list[BaseMessage]:
    cleaned = question.strip()
    if not cleaned:
        raise PromptRejectedError(
            "Écrivez une question avant d'envoyer." if lang == "fr" else "Type a question first."
        )
    if len(cleaned) > MAX_PROMPT_CHARS:
        raise PromptRejectedError(
            f"Question trop longue ({len(cleaned)} caractères, {MAX_PROMPT_CHARS} au plus)."
            if lang == "fr"
            else f"Question too long ({len(cleaned)} characters, at most {MAX_PROMPT_CHARS})."
        )
    return prompts.load("playground").render(lang, question=cleaned)


def server_status(client: LLMClient, lang: Lang = "fr") -> StatusReport:
    health = client.health()
    model = client.settings.llm_model
    if health.detail == "ready":
        return StatusReport(
            True,
            f"Modèle « {model} » prêt sur {health.base_url}"
            if lang == "fr"
            else f"Model '{model}' ready at {health.base_url}",
        )
    if not health.reachable:
        return StatusReport(
            False,
            f"Le serveur du modèle ({health.base_url}) ne répond pas : {health.detail}. "
            "Relancez-le avec `make run`."
            if lang == "fr"
            else f"The model server ({health.base_url}) is not answering: {health.detail}. "
            "Restart it with `make run`.",
        )
    return StatusReport(
        False,
        f"Le serveur répond mais ne sert pas « {model} » (il sert : "
        f"{', '.join(health.served_models) or 'rien'})."
        if lang == "fr"
        else f"The server answers but does not serve '{model}' (it serves: "
        f"{', '.join(health.served_models) or 'nothing'}).",
    )
