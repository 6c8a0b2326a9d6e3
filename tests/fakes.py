"""A scripted chat model for unit tests: answers from a script, records what it was asked.

One scripted model rather than bespoke mocks: each entry of the script is the text of the
next answer, or an exception to raise instead. Streaming splits an answer into words, with
`token_delay_s` between them for a slow model (the fault tests kill a worker mid-draft).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

SCRIPTED_PROFILE = "mistral-small-24b"
"""The model profile the tests of model-driven paths give their scripted model: one that
trusts the model to assess, read, summarise and draft (`agents/core/model_profiles.yaml`);
on the embedded profile, code would draft instead and the script would not be asked."""


@dataclass
class Call:
    messages: list[BaseMessage]
    kwargs: dict[str, Any]


@dataclass
class Script:
    answers: list[str | BaseException]
    calls: list[Call] = field(default_factory=list)

    def next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        self.calls.append(Call(list(messages), dict(kwargs)))
        if not self.answers:
            raise AssertionError("the scripted chat model ran out of answers")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class ScriptedChatModel(BaseChatModel):
    """Answers with the next entry of its script."""

    script: Script
    token_delay_s: float = 0.0
    """Seconds between two streamed words (0: as fast as possible)."""

    @classmethod
    def of(cls, *answers: str | BaseException, token_delay_s: float = 0.0) -> ScriptedChatModel:
        return cls(script=Script(list(answers)), token_delay_s=token_delay_s)

    @property
    def calls(self) -> list[Call]:
        return self.script.calls

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.script.next(messages, kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self.script.next(messages, kwargs)
        for index, word in enumerate(text.split(" ")):
            if index and self.token_delay_s:
                time.sleep(self.token_delay_s)
            piece = word if index == 0 else " " + word
            chunk = ChatGenerationChunk(message=AIMessageChunk(piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def texts(messages: Sequence[BaseMessage]) -> list[str]:
    return [str(m.content) for m in messages]
