"""The LLM boundary: the only module that knows an OpenAI-compatible server answers.

Everything else asks this module for a chat model, a structured answer (a pydantic model)
or a stream of text, and handles one family of typed errors:

- `LLMUnavailableError`: the server cannot be reached (down, wrong URL, model not served);
- `LLMTimeoutError`: the server did not answer in time;
- `LLMInvalidOutputError`: the answer did not validate against the schema, even after a retry.

Structured output uses the OpenAI-standard `response_format` of type `json_schema`, which
vLLM enforces with its grammar backends; the answer is still validated with pydantic,
because a server that ignores the field (or another OpenAI-compatible endpoint) must not
slip an invalid object through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx
import openai
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

from agents.core.config import Settings
from agents.core.profiles import ModelProfile, profile_of
from agents.core.secrets import mask_url

log = logging.getLogger(__name__)

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class LLMError(Exception):
    """Base class of every failure of the language model boundary.

    `user_message` is safe to show to a person: it carries no stack trace and says what to do.
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class LLMUnavailableError(LLMError):
    """The model server cannot be reached or does not serve the configured model."""


class LLMTimeoutError(LLMError):
    """The model server did not answer within the configured time."""


class LLMInvalidOutputError(LLMError):
    """The model's structured answer failed validation after every allowed attempt."""

    def __init__(self, user_message: str, raw_outputs: list[str]) -> None:
        super().__init__(user_message)
        self.raw_outputs = raw_outputs


@dataclass(frozen=True)
class ServerHealth:
    """What `health()` learned about the model server."""

    reachable: bool
    base_url: str
    served_models: tuple[str, ...] = ()
    detail: str = ""

    @property
    def serves_configured_model(self) -> bool:
        return bool(self.served_models)


@dataclass(frozen=True)
class Completion:
    """One answer as text, with why the model stopped (`stop`, `length`, or None when the
    server did not say)."""

    text: str
    finish_reason: str | None = None

    @property
    def truncated(self) -> bool:
        """The answer was cut off at the token limit."""
        return self.finish_reason == "length"


def sampling_params(settings: Settings, profile: ModelProfile) -> dict[str, Any]:
    """The chat model's sampling parameters: the profile's, except where the settings set
    `llm_temperature` or `llm_max_tokens` explicitly. vLLM's `repetition_penalty` is not an
    OpenAI parameter: it travels in the request's extra body."""
    sampling = profile.sampling
    explicit = settings.model_fields_set
    params: dict[str, Any] = {
        "temperature": settings.llm_temperature
        if "llm_temperature" in explicit
        else sampling.temperature,
        "max_completion_tokens": settings.llm_max_tokens
        if "llm_max_tokens" in explicit
        else sampling.max_tokens,
    }
    if sampling.frequency_penalty is not None:
        params["frequency_penalty"] = sampling.frequency_penalty
    if sampling.repetition_penalty is not None:
        params["extra_body"] = {"repetition_penalty": sampling.repetition_penalty}
    return params


def response_format_for(schema: type[BaseModel]) -> dict[str, Any]:
    """The OpenAI-standard `response_format` asking for JSON that matches `schema`."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": schema.model_json_schema(),
            "strict": True,
        },
    }


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


class LLMClient:
    """Chat model factory, structured calls and streaming over one OpenAI-compatible server.

    `chat_model` is injected in unit tests (a scripted fake chat model); in the product it
    is built from `Settings` as a `ChatOpenAI` pointed at `llm_base_url`, sampled as the
    model's profile says (`agents/core/profiles.py`; `profile` replaces it).
    """

    def __init__(
        self,
        settings: Settings,
        chat_model: BaseChatModel | None = None,
        callbacks: list[BaseCallbackHandler] | None = None,
        profile: ModelProfile | None = None,
    ) -> None:
        self.settings = settings
        self.profile = profile if profile is not None else profile_of(settings)
        """What the served model is trusted for, and how it is sampled."""
        self._chat_model = (
            chat_model if chat_model is not None else self._build_chat_model(callbacks=callbacks)
        )

    def _build_chat_model(self, **overrides: Any) -> BaseChatModel:
        s = self.settings
        params: dict[str, Any] = {
            "model": s.llm_model,
            "base_url": s.llm_base_url,
            "api_key": SecretStr(s.llm_api_key),
            "timeout": s.llm_timeout_s,
            "max_retries": 0,  # failures surface at once; invalid outputs are retried below
            "stream_usage": True,
            **sampling_params(s, self.profile),
        }
        params.update(overrides)
        return ChatOpenAI(**params)

    @property
    def chat_model(self) -> BaseChatModel:
        """The LangChain chat model, for graph nodes that stream through LangGraph."""
        return self._chat_model

    # --- calls -------------------------------------------------------------------------
    def complete(self, messages: Sequence[BaseMessage] | str) -> str:
        """One non-streamed answer as text."""
        with self._translated_errors():
            reply = self._chat_model.invoke(_as_messages(messages))
        return _text_of(reply)

    def completion(self, messages: Sequence[BaseMessage] | str) -> Completion:
        """One non-streamed answer, with why the model stopped (a cut-off draft is caught
        by the support graph's check)."""
        with self._translated_errors():
            reply = self._chat_model.invoke(_as_messages(messages))
        reason = reply.response_metadata.get("finish_reason")
        return Completion(_text_of(reply), str(reason) if reason else None)

    def stream(self, messages: Sequence[BaseMessage] | str) -> Iterator[str]:
        """The answer as it is generated, piece by piece."""
        with self._translated_errors():
            for chunk in self._chat_model.stream(_as_messages(messages)):
                text = _text_of(chunk)
                if text:
                    yield text

    def structured(
        self,
        messages: Sequence[BaseMessage] | str,
        schema: type[SchemaT],
        *,
        max_tokens: int | None = None,
    ) -> SchemaT:
        """An answer validated as `schema`; asked again once on invalid output, then raises.

        Raises `LLMInvalidOutputError` (with the raw outputs) when no attempt validates.
        """
        bound = self._chat_model.bind(
            response_format=response_format_for(schema),
            **({"max_completion_tokens": max_tokens} if max_tokens else {}),
        )
        raw_outputs: list[str] = []
        last_problem = ""
        for attempt in range(1 + self.settings.llm_structured_retries):
            try:
                with self._translated_errors():
                    reply = bound.invoke(_as_messages(messages))
            except _TruncatedAnswerError as exc:
                raw_outputs.append(exc.partial)
                last_problem = "the answer was cut off at the token limit"
            else:
                raw = _text_of(reply) if isinstance(reply, BaseMessage) else str(reply)
                raw_outputs.append(raw)
                try:
                    return schema.model_validate_json(raw)
                except ValidationError as exc:
                    last_problem = _summarise_validation(exc)
            log.warning(
                "invalid structured output for %s (attempt %d): %s",
                schema.__name__,
                attempt + 1,
                last_problem,
            )
        raise LLMInvalidOutputError(
            f"The language model gave no valid {schema.__name__} after "
            f"{len(raw_outputs)} attempt(s): {last_problem}",
            raw_outputs,
        )

    def health(self) -> ServerHealth:
        """Ask the server which models it serves; never raises."""
        url = self.settings.llm_base_url.rstrip("/") + "/models"
        shown = mask_url(self.settings.llm_base_url)  # what a status line may print
        try:
            response = httpx.get(
                url,
                timeout=5.0,
                headers={"Authorization": f"Bearer {self.settings.llm_api_key}"},
            )
            response.raise_for_status()
            served = tuple(str(m.get("id")) for m in response.json().get("data", []))
        except (httpx.HTTPError, ValueError) as exc:
            return ServerHealth(False, shown, detail=_describe(exc))
        if self.settings.llm_model not in served:
            return ServerHealth(
                True,
                shown,
                served,
                detail=f"the server does not serve '{self.settings.llm_model}'",
            )
        return ServerHealth(True, shown, served, detail="ready")

    # --- error translation -------------------------------------------------------------
    def _translated_errors(self) -> _ErrorTranslator:
        return _ErrorTranslator(self.settings)


class _TruncatedAnswerError(LLMError):
    """A structured answer hit the token limit before its JSON closed (retried)."""

    def __init__(self, partial: str) -> None:
        super().__init__("The answer was cut off at the token limit.")
        self.partial = partial


class _ErrorTranslator:
    """Turns openai/httpx exceptions into the boundary's typed errors."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        if exc is None or isinstance(exc, LLMError):
            return False
        url = mask_url(self.settings.llm_base_url)
        if isinstance(exc, openai.LengthFinishReasonError):
            choices = exc.completion.choices
            partial = (choices[0].message.content or "") if choices else ""
            raise _TruncatedAnswerError(partial) from exc
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            raise LLMTimeoutError(
                f"The language model at {url} did not answer within "
                f"{self.settings.llm_timeout_s:g} s."
            ) from exc
        if isinstance(exc, openai.APIConnectionError | httpx.ConnectError):
            raise LLMUnavailableError(
                f"The language model server at {url} is not reachable. "
                "Start it with `make run` or `ressenti llm serve`."
            ) from exc
        if isinstance(exc, openai.NotFoundError):
            raise LLMUnavailableError(
                f"The server at {url} does not serve the model '{self.settings.llm_model}'."
            ) from exc
        if isinstance(exc, openai.APIStatusError):
            raise LLMError(
                f"The language model server at {url} refused the request "
                f"(HTTP {exc.status_code}): {_short(str(exc))}"
            ) from exc
        return False


def _as_messages(messages: Sequence[BaseMessage] | str) -> list[BaseMessage]:
    if isinstance(messages, str):
        return [HumanMessage(messages)]
    return list(messages)


def _summarise_validation(exc: ValidationError) -> str:
    errors = exc.errors()
    if errors and errors[0].get("type") == "json_invalid":
        return "the answer is not valid JSON"
    return "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())) or '<root>'}: {e.get('msg')}"
        for e in errors[:3]
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return _short(str(exc)) or type(exc).__name__


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
