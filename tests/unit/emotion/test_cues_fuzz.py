"""The cue rules on arbitrary unicode (hypothesis, bounded by the profile of
tests/conftest.py): no crash, and every evidence span points into the message itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.emotion.cues import find_cues, fold
from agents.emotion.lang import detect_lang
from agents.support.check import check_draft

MESSAGES = st.text(max_size=300) | st.lists(
    st.sampled_from(
        ["je ne veux pas ", "résilier", "!!!", "URGENT ", "n'", "’", "\u0301", "a@b.fr"]
    ),
    max_size=20,
).map("".join)


@given(text=MESSAGES)
@settings(max_examples=150)
def test_cues_on_any_text_point_into_the_text(text: str) -> None:
    assert len(fold(text)) == len(text)
    hits = find_cues(text)
    for span in hits.evidence:
        assert 0 <= span.start <= span.end <= len(text)
        assert text[span.start : span.end] == span.text
    assert 0.0 <= hits.intensity <= 1.0
    assert 0.0 <= hits.effort <= 1.0
    assert 0.0 <= hits.urgency <= 1.0
    assert detect_lang(text) in ("fr", "en")
    assert isinstance(check_draft(text, [], "", [], 50.0, "fr"), list)
