"""The deep emotion reader against the real vLLM server: a valid reading or a clean fallback."""

from __future__ import annotations

from agents.core.config import Settings
from agents.core.emotion import EmotionReading
from agents.emotion.deep import DeepReader, EmotionJudgement
from agents.emotion.fast import FastReader
from agents.emotion.fusion import read_message
from agents.llm.client import LLMClient, LLMError

MESSAGE = (
    "Trois semaines sans internet, je veux parler à un responsable, sinon j'appelle mon avocat."
)


def test_structured_round_trip_gives_a_valid_reading_or_a_clean_fallback(
    llm_settings: Settings,
) -> None:
    fast_reader = FastReader()
    client = LLMClient(llm_settings)
    deep_reader = DeepReader(client, timeout_s=llm_settings.llm_timeout_s)
    failure: LLMError | None = None
    try:
        judgement = deep_reader.judge(MESSAGE, "fr", crm_facts={"ligne": "incident fibre ouvert"})
    except LLMError as error:  # the tiny model may fail the schema: that must be a typed error
        failure = error
    if failure is None:
        assert isinstance(judgement, EmotionJudgement)
    else:
        assert failure.user_message

    # One more model call through the product path: fused with the fast reading, or the
    # fast reading alone when the model fails; either way the cue flags survive.
    reading = read_message(
        MESSAGE,
        fast_reader=fast_reader,
        deep_reader=deep_reader,
        crm_facts="ligne: incident fibre ouvert",
    )
    deep_reader.close()
    assert isinstance(reading, EmotionReading)
    assert reading.source in ("fused", "fast")
    assert reading.flags.asks_for_human
    assert reading.flags.legal_threat
    assert reading.effort >= fast_reader.read(MESSAGE).effort
    if reading.source == "fused":
        assert all(MESSAGE[s.start : s.end] == s.text for s in reading.evidence)
