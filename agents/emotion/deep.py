"""The deep reader: the LLM reads a message in context, returns a typed judgement.

The model answers an `EmotionJudgement` (constrained JSON through `LLMClient.structured`);
code turns it into an `EmotionReading`: quotes the model gives as evidence are kept only
when they really occur in the message, the label's probability is the model's confidence
and the rest is spread evenly. A time budget bounds the call: past it the reading fails
with `LLMTimeoutError` like any other model failure, and the caller falls back on the fast
reader (`read_message` in `agents.emotion.fusion`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pydantic import BaseModel, Field

import prompts
from agents.core.emotion import LABELS, EmotionFlags, EmotionLabel, EmotionReading, EvidenceSpan
from agents.core.lang import Lang
from agents.llm.client import LLMClient, LLMTimeoutError

DEEP_MAX_TOKENS = 320
"""Enough for the judgement's JSON; bounds how long a small model can ramble."""

MIN_LABEL_PROBABILITY = 0.4
"""The label's probability is never below this, so that it stays the top label."""

CrmFacts = str | Mapping[str, Any] | None


class EmotionJudgement(BaseModel):
    """What the LLM is asked to return (field descriptions are part of the JSON schema)."""

    label: EmotionLabel = Field(description="The dominant emotion.")
    confidence: float = Field(ge=0, le=1, description="Certainty of the label.")
    valence: float = Field(ge=-1, le=1, description="-1 very negative … 1 very positive.")
    intensity: float = Field(ge=0, le=1, description="0 flat … 1 extreme.")
    effort: float = Field(ge=0, le=1, description="Customer effort: chasing, waiting, transfers.")
    urgency: float = Field(ge=0, le=1, description="How soon it must be handled.")
    asks_for_human: bool = Field(description="Explicitly asks for a person.")
    threatens_to_leave: bool = Field(description="Threatens to cancel or go elsewhere.")
    legal_threat: bool = Field(description="Lawyer, complaint, court, regulator.")
    vulnerable_situation: bool = Field(description="Bereavement, illness, hardship.")
    evidence: list[str] = Field(max_length=3, description="Verbatim quotes from the message.")
    trigger: str = Field(max_length=300, description="What caused the emotion.")
    rationale: str = Field(max_length=400, description="One sentence justifying the reading.")


def format_crm_facts(facts: CrmFacts) -> str:
    """CRM facts as prompt text: plain text as given, a mapping as sorted `key: value` lines."""
    if facts is None:
        return "(none)"
    if isinstance(facts, str):
        return facts.strip() or "(none)"
    lines = []
    for key in sorted(facts):
        value = facts[key]
        text = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
        lines.append(f"{key}: {text}")
    return "\n".join(lines) or "(none)"


def grounded_spans(text: str, quotes: list[str], signal: str = "deep") -> list[EvidenceSpan]:
    """The quotes found in `text` (case-insensitive), as spans; invented quotes are dropped."""
    lowered = text.lower()
    spans = []
    for quote in quotes:
        needle = quote.strip().strip("\"'«» ").lower()
        if len(needle) < 3:
            continue
        start = lowered.find(needle)
        if start >= 0:
            end = start + len(needle)
            spans.append(EvidenceSpan(start=start, end=end, text=text[start:end], signal=signal))
    return spans


def judgement_to_reading(text: str, lang: Lang, judgement: EmotionJudgement) -> EmotionReading:
    """The judgement as a reading (source `deep`)."""
    top = max(MIN_LABEL_PROBABILITY, judgement.confidence)
    rest = (1.0 - top) / (len(LABELS) - 1)
    scores: dict[EmotionLabel, float] = {
        name: (top if name == judgement.label else rest) for name in LABELS
    }
    return EmotionReading(
        label=judgement.label,
        scores=scores,
        valence=judgement.valence,
        intensity=judgement.intensity,
        effort=judgement.effort,
        urgency=judgement.urgency,
        flags=EmotionFlags(
            asks_for_human=judgement.asks_for_human,
            threatens_to_leave=judgement.threatens_to_leave,
            legal_threat=judgement.legal_threat,
            vulnerable_situation=judgement.vulnerable_situation,
        ),
        evidence=grounded_spans(text, judgement.evidence),
        lang=lang,
        source="deep",
        trigger=judgement.trigger.strip() or None,
        rationale=judgement.rationale.strip() or None,
    )


class DeepReader:
    """Reads one message with the LLM within a time budget.

    Raises the `LLMError` family: unreachable server, invalid output after the retry, or
    `LLMTimeoutError` when the budget runs out (the call then finishes in the background
    and its answer is discarded).
    """

    def __init__(self, client: LLMClient, *, timeout_s: float) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="deep-emotion")

    def judge(self, text: str, lang: Lang, crm_facts: CrmFacts = None) -> EmotionJudgement:
        messages = prompts.load("emotion_deep").render(
            lang, message=text, crm_facts=format_crm_facts(crm_facts)
        )
        future = self._pool.submit(
            self.client.structured, messages, EmotionJudgement, max_tokens=DEEP_MAX_TOKENS
        )
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            future.cancel()
            raise LLMTimeoutError(
                f"The deep emotion reading took longer than its {self.timeout_s:g} s budget."
            ) from None

    def read(self, text: str, lang: Lang, crm_facts: CrmFacts = None) -> EmotionReading:
        """The deep reading of `text` (source `deep`)."""
        return judgement_to_reading(text, lang, self.judge(text, lang, crm_facts))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
