"""The segment insight: how the recipients feel, computed in code from the CRM's readings.

Dominant emotions are the shares of labels over the customer messages of the recipients'
recent conversations; irritants are topics (`irritants.yaml`) of their negative messages,
counted once per conversation; end valence is the last reading of each conversation. Only
recipients (customers with marketing consent, not flagged vulnerable) are read: the data
of customers who refused marketing does not shape marketing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from importlib import resources

import yaml

import prompts
from agents.core.lang import Lang
from agents.marketing.compliance import normalise
from agents.marketing.schemas import EmotionShare, IrritantCount, SegmentInsight, TargetEmotion
from tools.crm.audience import Audience, ConversationMood

NEGATIVE_LABELS = frozenset({"anger", "frustration", "anxiety", "sadness", "annoyance", "fear"})


@cache
def irritant_topics() -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    raw = resources.files("agents.marketing").joinpath("irritants.yaml").read_text("utf-8")
    topics = yaml.safe_load(raw)["topics"]
    return {
        name: (dict(spec["label"]), tuple(normalise(w) for w in spec["words"]))
        for name, spec in topics.items()
    }


def topics_of(text: str) -> set[str]:
    """The irritant topics a message mentions (word starts, accents ignored)."""
    norm = " " + normalise(text) + " "
    found = set()
    for name, (_, words) in irritant_topics().items():
        if any(f" {w}" in norm or f"'{w}" in norm for w in words):
            found.add(name)
    return found


def _notes(
    lang: Lang,
    target: TargetEmotion,
    dominant: Sequence[EmotionShare],
    irritants: Sequence[IrritantCount],
    negative_end_share: float | None,
    recipients: int,
) -> list[str]:
    say = prompts.snippets("marketing_insight")[lang]
    notes = []
    if recipients == 0:
        notes.append(say["note_no_recipient"])
    negative = sum(d.share for d in dominant if d.label in NEGATIVE_LABELS)
    if negative >= 0.4 or (negative_end_share or 0) >= 0.3:
        notes.append(say["note_difficult_exchanges"])
        if target == "excitement":
            notes.append(say["note_excitement_hollow"])
    if irritants:
        top = irritants[0]
        notes.append(
            say["note_top_irritant"].format(label=top.label, conversations=top.conversations)
        )
    return notes


def segment_insight(
    audience: Audience,
    moods: Sequence[ConversationMood],
    lang: Lang,
    target: TargetEmotion,
    *,
    top: int = 3,
) -> SegmentInsight:
    labels = Counter(label for mood in moods for label in mood.labels)
    total = sum(labels.values())
    dominant = [
        EmotionShare(label=label, share=round(count / total, 3))
        for label, count in labels.most_common(top)
    ]
    topic_counts: Counter[str] = Counter()
    for mood in moods:
        topic_counts.update(set().union(*(topics_of(t) for t in mood.negative_texts)))
    topics = irritant_topics()
    irritants = [
        IrritantCount(topic=name, label=topics[name][0][lang], conversations=count)
        for name, count in sorted(topic_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    ]
    ends = [m.end_valence for m in moods if m.end_valence is not None]
    end_valence = round(sum(ends) / len(ends), 3) if ends else None
    negative_end_share = round(sum(1 for v in ends if v < 0) / len(ends), 3) if ends else None
    return SegmentInsight(
        matched=audience.matched,
        recipients=len(audience.recipients),
        excluded_no_consent=audience.excluded_no_consent,
        excluded_vulnerable=audience.excluded_vulnerable,
        conversations=len(moods),
        dominant_emotions=dominant,
        irritants=irritants,
        end_valence=end_valence,
        negative_end_share=negative_end_share,
        notes=_notes(
            lang, target, dominant, irritants, negative_end_share, len(audience.recipients)
        ),
    )


def insight_text(insight: SegmentInsight, lang: Lang) -> str:
    """The insight as short lines for the drafting prompt (figures only, no customer data)."""
    emotions = ", ".join(f"{d.label} {d.share:.0%}" for d in insight.dominant_emotions) or "-"
    irritants = ", ".join(i.label for i in insight.irritants) or "-"
    valence = f"{insight.end_valence:+.2f}" if insight.end_valence is not None else "-"
    say = prompts.snippets("marketing_insight")[lang]
    lines = [
        say["recipients"].format(recipients=insight.recipients),
        say["emotions"].format(emotions=emotions),
        say["irritants"].format(irritants=irritants),
        say["valence"].format(valence=valence),
    ]
    return "\n".join(lines + insight.notes)
