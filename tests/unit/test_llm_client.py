"""The LLM boundary with a scripted chat model: structured output, retry, errors, streaming."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from pydantic import BaseModel, Field

from agents.core.config import Settings
from agents.llm.client import (
    LLMClient,
    LLMError,
    LLMInvalidOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
    response_format_for,
)
from tests.fakes import ScriptedChatModel


class Verdict(BaseModel):
    label: str
    confidence: float = Field(ge=0, le=1)


def _request() -> httpx.Request:
    return httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def test_structured_answer_is_validated_and_asks_for_the_json_schema(settings: Settings) -> None:
    model = ScriptedChatModel.of('{"label": "anger", "confidence": 0.8}')
    verdict = LLMClient(settings, model).structured("How does this read?", Verdict)

    assert verdict == Verdict(label="anger", confidence=0.8)
    sent = model.calls[0].kwargs["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Verdict"
    assert sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["properties"]["confidence"]["maximum"] == 1


def test_invalid_answer_is_asked_again_once(settings: Settings) -> None:
    model = ScriptedChatModel.of("not json at all", '{"label": "calm", "confidence": 0.4}')
    verdict = LLMClient(settings, model).structured("?", Verdict)

    assert verdict.label == "calm"
    assert len(model.calls) == 2


def test_two_invalid_answers_raise_the_typed_error_with_both_outputs(settings: Settings) -> None:
    model = ScriptedChatModel.of('{"label": "x", "confidence": 7}', "{broken")
    with pytest.raises(LLMInvalidOutputError) as caught:
        LLMClient(settings, model).structured("?", Verdict)

    assert caught.value.raw_outputs == ['{"label": "x", "confidence": 7}', "{broken"]
    assert "Verdict" in caught.value.user_message
    assert len(model.calls) == 2


def test_retry_count_comes_from_settings(settings: Settings) -> None:
    strict = settings.model_copy(update={"llm_structured_retries": 0})
    model = ScriptedChatModel.of("nope", '{"label": "calm", "confidence": 0.4}')
    with pytest.raises(LLMInvalidOutputError):
        LLMClient(strict, model).structured("?", Verdict)
    assert len(model.calls) == 1


def test_unreachable_server_becomes_a_clear_unavailable_error(settings: Settings) -> None:
    model = ScriptedChatModel.of(openai.APIConnectionError(request=_request()))
    with pytest.raises(LLMUnavailableError) as caught:
        LLMClient(settings, model).complete("hello")

    message = caught.value.user_message
    assert settings.llm_base_url in message
    assert "make run" in message
    assert "Traceback" not in message


def test_timeout_becomes_a_timeout_error(settings: Settings) -> None:
    model = ScriptedChatModel.of(openai.APITimeoutError(request=_request()))
    with pytest.raises(LLMTimeoutError, match="did not answer within"):
        LLMClient(settings, model).structured("?", Verdict)


def test_unknown_model_is_reported_as_unavailable(settings: Settings) -> None:
    response = httpx.Response(404, request=_request(), json={"error": "model not found"})
    model = ScriptedChatModel.of(openai.NotFoundError("missing", response=response, body=None))
    with pytest.raises(LLMUnavailableError, match=settings.llm_model):
        LLMClient(settings, model).complete("hello")


def test_other_server_refusals_are_typed_llm_errors(settings: Settings) -> None:
    response = httpx.Response(400, request=_request(), json={"error": "too long"})
    model = ScriptedChatModel.of(openai.BadRequestError("too long", response=response, body=None))
    with pytest.raises(LLMError, match="HTTP 400"):
        LLMClient(settings, model).complete("hello")


def test_stream_yields_the_answer_piece_by_piece(settings: Settings) -> None:
    model = ScriptedChatModel.of("Bonjour, je regarde votre commande.")
    pieces = list(LLMClient(settings, model).stream("Où est ma commande ?"))

    assert len(pieces) == 5
    assert "".join(pieces) == "Bonjour, je regarde votre commande."


def test_stream_failure_is_translated(settings: Settings) -> None:
    model = ScriptedChatModel.of(openai.APIConnectionError(request=_request()))
    with pytest.raises(LLMUnavailableError):
        list(LLMClient(settings, model).stream("hello"))


def test_health_of_an_unreachable_server_never_raises(settings: Settings) -> None:
    health = LLMClient(settings, ScriptedChatModel.of()).health()
    assert health.reachable is False
    assert health.detail == "connection refused"


def test_response_format_schema_is_the_pydantic_schema() -> None:
    assert response_format_for(Verdict)["json_schema"]["schema"] == Verdict.model_json_schema()


def test_real_chat_model_is_built_from_settings(settings: Settings) -> None:
    chat = LLMClient(settings).chat_model
    assert getattr(chat, "model_name", None) == settings.llm_model
    assert getattr(chat, "openai_api_base", None) == settings.llm_base_url
    assert getattr(chat, "max_retries", None) == 0


def _cut_off(partial: str) -> openai.LengthFinishReasonError:
    completion = ChatCompletion(
        id="cmpl-1",
        created=0,
        model="m",
        object="chat.completion",
        choices=[
            Choice(
                index=0,
                finish_reason="length",
                message=ChatCompletionMessage(role="assistant", content=partial),
            )
        ],
    )
    return openai.LengthFinishReasonError(completion=completion)


def test_an_answer_cut_off_at_the_token_limit_is_retried(settings: Settings) -> None:
    model = ScriptedChatModel.of(_cut_off('{"label": "ang'), '{"label": "anger", "confidence": 1}')
    assert LLMClient(settings, model).structured("?", Verdict).label == "anger"


def test_answers_cut_off_twice_raise_the_invalid_output_error(settings: Settings) -> None:
    model = ScriptedChatModel.of(_cut_off('{"la'), _cut_off('{"label": "a'))
    with pytest.raises(LLMInvalidOutputError, match="cut off at the token limit") as caught:
        LLMClient(settings, model).structured("?", Verdict)
    assert caught.value.raw_outputs == ['{"la', '{"label": "a']
