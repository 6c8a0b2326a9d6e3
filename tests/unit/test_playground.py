"""The foundation page's service: validation, streaming, messages a person can read."""

from __future__ import annotations

import httpx
import openai
import pytest

from agents.config import Settings
from agents.llm.client import LLMClient, LLMTimeoutError, LLMUnavailableError
from agents.services.playground import (
    MAX_PROMPT_CHARS,
    PromptRejectedError,
    answer_stream,
    friendly_error,
    playground_messages,
    server_status,
)
from tests.fakes import ScriptedChatModel


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Écrivez"), ("en", "Type")])
def test_empty_question_is_rejected_in_the_user_language(lang: str, expected: str) -> None:
    with pytest.raises(PromptRejectedError, match=expected):
        playground_messages("   ", lang)  # type: ignore[arg-type]


def test_too_long_question_is_rejected() -> None:
    with pytest.raises(PromptRejectedError, match=str(MAX_PROMPT_CHARS)):
        playground_messages("a" * (MAX_PROMPT_CHARS + 1), "en")


def test_system_prompt_follows_the_chosen_language() -> None:
    fr_system, _ = playground_messages("Bonjour", "fr")
    en_system, _ = playground_messages("Hello", "en")
    assert "français" in str(fr_system.content)
    assert "English" in str(en_system.content)


def test_answer_grows_as_it_streams(settings: Settings) -> None:
    client = LLMClient(settings, ScriptedChatModel.of("Un instant, je vérifie."))
    shown = list(answer_stream(client, "Où est mon colis ?", "fr"))
    assert shown == ["Un", "Un instant,", "Un instant, je", "Un instant, je vérifie."]


def test_status_says_the_server_is_down_with_what_to_do(settings: Settings) -> None:
    client = LLMClient(settings, ScriptedChatModel.of())
    fr = server_status(client, "fr")
    en = server_status(client, "en")
    assert not fr.ready and not en.ready
    assert "ne répond pas" in fr.text and "make run" in fr.text
    assert "not answering" in en.text and "make run" in en.text


def test_errors_are_told_in_french_without_internals(settings: Settings) -> None:
    request = httpx.Request("POST", settings.llm_base_url)
    client = LLMClient(settings, ScriptedChatModel.of(openai.APIConnectionError(request=request)))
    with pytest.raises(LLMUnavailableError) as caught:
        list(answer_stream(client, "Bonjour", "fr"))
    message = friendly_error(caught.value, "fr")
    assert "ne répond pas" in message and "make run" in message
    assert friendly_error(LLMTimeoutError("late"), "fr").startswith("Le modèle n'a pas répondu")
