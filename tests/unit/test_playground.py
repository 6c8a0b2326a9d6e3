"""The foundation page's service: validation, streaming, messages a person can read."""

from __future__ import annotations

import pytest

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.playground import (
    MAX_PROMPT_CHARS,
    PromptRejectedError,
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


def test_status_says_the_server_is_down_with_what_to_do(settings: Settings) -> None:
    client = LLMClient(settings, ScriptedChatModel.of())
    fr = server_status(client, "fr")
    en = server_status(client, "en")
    assert not fr.ready and not en.ready
    assert "ne répond pas" in fr.text and "make run" in fr.text
    assert "not answering" in en.text and "make run" in en.text
