"""The foundation page's service: validation, streaming, messages a person can read (the
facts come from the service, the wording from the UI's and the command line's catalogues)."""

from __future__ import annotations

import pytest

from agents.cli.texts import say
from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.services.playground import (
    MAX_PROMPT_CHARS,
    PromptRejectedError,
    playground_messages,
    server_status,
)
from tests.fakes import ScriptedChatModel
from ui.messages import status_text


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Écrivez"), ("en", "Type")])
def test_empty_question_is_rejected_in_the_user_language(lang: str, expected: str) -> None:
    with pytest.raises(PromptRejectedError) as refused:
        playground_messages("   ", lang)  # type: ignore[arg-type]
    assert refused.value.reason == "empty"
    assert say("prompt_empty", lang).startswith(expected)  # type: ignore[arg-type]


def test_too_long_question_is_rejected() -> None:
    with pytest.raises(PromptRejectedError) as refused:
        playground_messages("a" * (MAX_PROMPT_CHARS + 1), "en")
    error = refused.value
    assert (error.reason, error.length, error.limit) == ("too_long", MAX_PROMPT_CHARS + 1, 4000)
    why = say("prompt_too_long", "en", length=error.length, limit=error.limit)
    assert str(MAX_PROMPT_CHARS) in why


def test_system_prompt_follows_the_chosen_language() -> None:
    fr_system, _ = playground_messages("Bonjour", "fr")
    en_system, _ = playground_messages("Hello", "en")
    assert "français" in str(fr_system.content)
    assert "English" in str(en_system.content)


def test_status_says_the_server_is_down_with_what_to_do(settings: Settings) -> None:
    client = LLMClient(settings, ScriptedChatModel.of())
    report = server_status(client)
    assert not report.ready and report.state == "unreachable"
    fr, en = status_text(report, "fr"), status_text(report, "en")
    assert "ne répond pas" in fr and "make run" in fr
    assert "not answering" in en and "make run" in en
