"""Deep reader with a scripted chat model, the fusion rule and the fallback."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult

from agents.core.config import Settings
from agents.core.emotion import EmotionFlags, EvidenceSpan
from agents.emotion.deep import DeepReader, format_crm_facts, grounded_spans
from agents.emotion.fast import FastReader
from agents.emotion.fusion import fuse, read_message
from agents.llm.client import LLMClient, LLMInvalidOutputError, LLMTimeoutError

from .conftest import make_reading

MESSAGE = "Ma commande 1042 a six jours de retard, je veux parler à un conseiller."


def judgement(**overrides: Any) -> str:
    fields: dict[str, Any] = {
        "label": "frustration",
        "confidence": 0.8,
        "valence": -0.6,
        "intensity": 0.6,
        "effort": 0.5,
        "urgency": 0.4,
        "asks_for_human": True,
        "threatens_to_leave": False,
        "legal_threat": False,
        "vulnerable_situation": False,
        "evidence": ["six jours de retard", "a quote the customer never wrote"],
        "trigger": "Order 1042 is six days late.",
        "rationale": "The customer complains about a late order and asks for a person.",
    }
    fields.update(overrides)
    return json.dumps(fields)


def scripted(settings: Settings, *answers: str) -> LLMClient:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=a) for a in answers]))
    return LLMClient(settings, chat_model=model)


class SlowChatModel(GenericFakeChatModel):
    """Answers correctly, but only after a delay longer than the reader's budget."""

    delay_s: float = 1.0

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        time.sleep(self.delay_s)
        return super()._generate(messages, *args, **kwargs)


def test_deep_reading_from_a_scripted_model(settings: Settings) -> None:
    reader = DeepReader(scripted(settings, judgement()), timeout_s=5)
    reading = reader.read(MESSAGE, "fr", crm_facts={"order 1042": "promised 2026-11-15"})
    assert reading.source == "deep"
    assert reading.label == "frustration"
    assert reading.scores["frustration"] == pytest.approx(0.8)
    assert sum(reading.scores.values()) == pytest.approx(1.0)
    assert reading.flags.asks_for_human
    assert reading.trigger == "Order 1042 is six days late."
    # the invented quote is dropped, the real one is located in the message
    assert [span.text for span in reading.evidence] == ["six jours de retard"]
    span = reading.evidence[0]
    assert MESSAGE[span.start : span.end] == "six jours de retard"


def test_the_prompt_carries_the_crm_facts_inside_their_tags(settings: Settings) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage(content=judgement())]))
    seen: list[list[BaseMessage]] = []
    original = model._generate

    def spy(messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        seen.append(messages)
        return original(messages, *args, **kwargs)

    object.__setattr__(model, "_generate", spy)
    DeepReader(LLMClient(settings, chat_model=model), timeout_s=5).read(
        MESSAGE, "en", crm_facts={"order": "1042 <late>"}
    )
    user = str(seen[0][-1].content)
    assert "<crm_facts>order: 1042 &lt;late&gt;</crm_facts>" in user
    assert f"<message>{MESSAGE}</message>" in user


def test_invalid_output_twice_raises_the_typed_error(settings: Settings) -> None:
    reader = DeepReader(scripted(settings, "not json", '{"label": "rage"}'), timeout_s=5)
    with pytest.raises(LLMInvalidOutputError):
        reader.read(MESSAGE, "fr")


def test_a_slow_model_exceeds_the_budget(settings: Settings) -> None:
    model = SlowChatModel(messages=iter([AIMessage(content=judgement())]), delay_s=1.0)
    reader = DeepReader(LLMClient(settings, chat_model=model), timeout_s=0.05)
    with pytest.raises(LLMTimeoutError, match="budget"):
        reader.read(MESSAGE, "fr")
    reader.close()


@pytest.mark.parametrize("failure", ["invalid", "slow", "unreachable"])
def test_read_message_falls_back_on_the_fast_reader(
    settings: Settings, fast_reader: FastReader, failure: str
) -> None:
    if failure == "invalid":
        client = scripted(settings, "{", "{")
        reader = DeepReader(client, timeout_s=5)
    elif failure == "slow":
        model = SlowChatModel(messages=iter([AIMessage(content=judgement())]), delay_s=1.0)
        reader = DeepReader(LLMClient(settings, chat_model=model), timeout_s=0.05)
    else:  # the settings fixture points at a closed port; sockets are blocked anyway
        reader = DeepReader(LLMClient(settings), timeout_s=5)
    reading = read_message(MESSAGE, fast_reader=fast_reader, deep_reader=reader)
    assert reading == fast_reader.read(MESSAGE)
    assert reading.source == "fast"
    assert reading.flags.asks_for_human


def test_successful_deep_reading_is_fused(settings: Settings, fast_reader: FastReader) -> None:
    reader = DeepReader(scripted(settings, judgement()), timeout_s=5)
    reading = read_message(MESSAGE, fast_reader=fast_reader, deep_reader=reader)
    assert reading.source == "fused"
    assert reading.trigger == "Order 1042 is six days late."
    assert any(span.signal == "deep" for span in reading.evidence)
    assert any(span.signal == "asks_for_human" for span in reading.evidence)


def test_the_llm_cannot_clear_cue_flags_or_lower_cue_effort() -> None:
    fast = make_reading(
        "anger",
        top=0.7,
        valence=-0.8,
        intensity=0.9,
        effort=0.7,
        urgency=0.6,
        flags=EmotionFlags(legal_threat=True, vulnerable_situation=True),
        evidence=[EvidenceSpan(start=0, end=6, text="avocat", signal="legal_threat")],
    )
    deep = make_reading("satisfaction", top=0.95, valence=0.9, intensity=0.1, source="deep")
    for weight in (0.3, 1.0):
        fused = fuse(fast, deep, deep_weight=weight, strong_score=0.6)
        assert fused.flags.legal_threat
        assert fused.flags.vulnerable_situation
        assert fused.label == "anger"  # a strong fast label is kept
        assert fused.effort >= fast.effort
        assert fused.urgency >= fast.urgency


def test_deep_only_flags_need_a_capable_model_and_grounded_evidence() -> None:
    fast = make_reading("neutral", top=0.4)
    quote = EvidenceSpan(start=0, end=5, text="quote", signal="deep")
    deep_grounded = make_reading(
        "anxiety",
        top=0.8,
        flags=EmotionFlags(vulnerable_situation=True),
        evidence=[quote],
        source="deep",
    )
    deep_ungrounded = deep_grounded.model_copy(update={"evidence": []})
    assert not fuse(
        fast, deep_grounded, deep_weight=0.3, strong_score=0.6
    ).flags.vulnerable_situation
    assert not fuse(
        fast, deep_ungrounded, deep_weight=0.8, strong_score=0.6
    ).flags.vulnerable_situation
    assert fuse(fast, deep_grounded, deep_weight=0.8, strong_score=0.6).flags.vulnerable_situation


def test_a_weak_fast_label_is_blended_with_the_deep_one() -> None:
    fast = make_reading("neutral", top=0.35, valence=0.0)
    deep = make_reading("frustration", top=0.9, valence=-0.6, source="deep")
    low = fuse(fast, deep, deep_weight=0.1, strong_score=0.6)
    high = fuse(fast, deep, deep_weight=0.5, strong_score=0.6)
    assert low.label == "neutral"
    assert high.label == "frustration"
    assert high.valence == pytest.approx(-0.3)
    assert sum(high.scores.values()) == pytest.approx(1.0)


def test_crm_facts_and_quotes_helpers() -> None:
    assert format_crm_facts(None) == "(none)"
    assert format_crm_facts({"b": 2, "a": "late"}) == "a: late\nb: 2"
    spans = grounded_spans("Le colis est en RETARD.", ["en retard", "xx", "absent"])
    assert [(s.start, s.end, s.text) for s in spans] == [(13, 22, "en RETARD")]


def test_any_cue_evidence_protects_a_weak_fast_label_and_valence() -> None:
    fast = make_reading(
        "frustration",
        top=0.3,
        valence=-0.5,
        intensity=0.7,
        effort=0.7,
        evidence=[EvidenceSpan(start=0, end=15, text="trois semaines", signal="effort:waiting")],
    )
    nonsense = make_reading("confusion", top=1.0, valence=1.0, intensity=1.0, source="deep")
    fused = fuse(fast, nonsense, deep_weight=0.3, strong_score=0.6)
    assert fused.label == "frustration"
    assert fused.valence == -0.5
    assert fused.intensity == 0.7
    assert fused.source == "fused"
