"""Combining the fast and the deep readings, and falling back on the fast one.

The default LLM (SmolLM2-135M) does not judge emotion sensibly, and even a good model can
be talked into a reading by the message itself. So the fusion is asymmetric:

1. **Strong fast evidence wins.** The fast reading is *strong* when its top score is at
   least `strong_score` or when any cue rule fired (a flag, effort, urgency, outrage or a
   label cue: explicit words in the message). Then its label, scores, valence and
   intensity are kept as they are: the LLM adds context (trigger, rationale, quotes), not
   judgement. Seen with SmolLM2-135M on "trois semaines sans internet… mon avocat": it
   answered confusion, confidence 1, valence +1.
2. **Otherwise blend.** Scores, valence and intensity are `(1 - w) · fast + w · deep`, with
   `w` the configured deep weight (0.3 by default).
3. **Effort and urgency** are `max(fast, blend)`: what the cue rules established (repeated
   contacts, an outage) is a floor the LLM cannot lower.
4. **Flags.** Every flag the fast reader raised stays raised: the LLM cannot clear a
   cue-rule flag (a legal threat, a vulnerable customer). A flag only the LLM raised is
   accepted only when `w ≥ 0.5` (a capable model was configured) and the LLM backed its
   reading with at least one quote that really occurs in the message.
5. **Evidence** is the union of the fast spans and the LLM's grounded quotes; the trigger
   and the rationale come from the LLM.
6. **Fallback.** Any `LLMError` (server down, invalid output, time budget exceeded) gives
   the fast reading unchanged (source `fast`).
"""

from __future__ import annotations

import logging

from agents.core.emotion import LABELS, EmotionFlags, EmotionLabel, EmotionReading
from agents.core.lang import Lang
from agents.emotion.deep import CrmFacts, DeepReader
from agents.emotion.fast import FastReader
from agents.llm.client import LLMError

log = logging.getLogger(__name__)

FLAG_OVERRIDE_WEIGHT = 0.5
"""Deep weight from which the LLM may add flags of its own (with grounded evidence)."""


def fuse(
    fast: EmotionReading,
    deep: EmotionReading,
    *,
    deep_weight: float,
    strong_score: float,
) -> EmotionReading:
    """One reading from a fast and a deep reading of the same message (source `fused`)."""
    w = deep_weight
    fast_is_strong = max(fast.scores.values()) >= strong_score or bool(fast.evidence)

    def blend(a: float, b: float) -> float:
        return (1 - w) * a + w * b

    if fast_is_strong:
        scores = dict(fast.scores)
        valence, intensity = fast.valence, fast.intensity
    else:
        scores = {name: blend(fast.scores[name], deep.scores[name]) for name in LABELS}
        valence = blend(fast.valence, deep.valence)
        intensity = blend(fast.intensity, deep.intensity)
    label: EmotionLabel = max(LABELS, key=lambda name: scores[name])

    deep_grounded = bool(deep.evidence)
    flags = {}
    for name, fast_value in fast.flags.model_dump().items():
        deep_value = bool(getattr(deep.flags, name))
        flags[name] = fast_value or (deep_value and w >= FLAG_OVERRIDE_WEIGHT and deep_grounded)
    known = {(span.start, span.end, span.signal) for span in fast.evidence}
    evidence = list(fast.evidence) + [
        span for span in deep.evidence if (span.start, span.end, span.signal) not in known
    ]
    return EmotionReading(
        label=label,
        scores=scores,
        valence=valence,
        intensity=intensity,
        effort=max(fast.effort, blend(fast.effort, deep.effort)),
        urgency=max(fast.urgency, blend(fast.urgency, deep.urgency)),
        flags=EmotionFlags(**flags),
        evidence=sorted(evidence, key=lambda span: (span.start, span.end)),
        lang=fast.lang,
        source="fused",
        trigger=deep.trigger,
        rationale=deep.rationale,
    )


def read_message(
    text: str,
    *,
    fast_reader: FastReader,
    deep_reader: DeepReader | None = None,
    lang: Lang | None = None,
    crm_facts: CrmFacts = None,
    deep_weight: float = 0.3,
    strong_score: float = 0.6,
) -> EmotionReading:
    """The reading of one message: fast always, fused with the deep one when it succeeds."""
    fast = fast_reader.read(text, lang)
    if deep_reader is None:
        return fast
    try:
        deep = deep_reader.read(text, fast.lang, crm_facts)
    except LLMError as error:
        log.warning("deep emotion reading failed, using the fast reading: %s", error.user_message)
        return fast
    return fuse(fast, deep, deep_weight=deep_weight, strong_score=strong_score)
