"""The fast reader: every message, on CPU, no LLM, a few milliseconds.

Three sources, combined by fixed rules (documented here because routing depends on them):

1. **Classifier**: a multilingual sentence embedding (USE-m3 by default, trained once on
   English GoEmotions; the encoder maps French near English, which is what lets French work)
   and the `taxonomy` head give a probability per label, moved from GoEmotions' label prior
   (a third neutral) to a uniform one (`DenseHead.prior_corrected`).
2. **Cue rules** (`agents.emotion.cues`): explicit French/English patterns set the flags,
   effort and urgency, add intensity (outrage words, shouting) and boost the probability of
   a label they name (a boost b multiplies that label's probability by 1 + 2b before the
   distribution is normalised again); effort cues boost frustration by the effort score,
   since a customer who has to chase is, in contact-centre terms, frustrated. Rules cover
   what Reddit comments never taught the classifier: contact-centre phrasing.
3. **Lexicon** (VADER / VADER-FR): a compound valence.

valence   = 0.6 · Σ p(label)·valence(label) + 0.4 · lexicon (classifier alone if the
            lexicon found no word)
intensity = Σ p(label)·arousal(label) + 0.25 · |lexicon| + cue intensity
            + 0.15 per threat flag (leaving, legal) + 0.2 · effort, clipped to [0, 1]
effort    = noisy-or of the effort cues (repeat contact, waiting, transfers, re-explaining)
urgency   = noisy-or of the urgency cues, 0.3 for a vulnerable situation, 0.2 for a legal
            threat, and 0.3 · intensity when the message is negative
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agents.core.emotion import LABELS, EmotionFlags, EmotionLabel, EmotionReading
from agents.core.lang import Lang
from agents.emotion.classifier import EmotionClassifier
from agents.emotion.cues import CueHits, find_cues
from agents.emotion.flags.detector import FLAG_NAMES, FlagModel, find_flags, segment
from agents.emotion.lang import detect_lang
from agents.emotion.lexicon import LexiconValence
from agents.emotion.taxonomy import LABEL_AROUSAL, LABEL_VALENCE
from tools.embeddings import Embedder, get_embedder

LABEL_BOOST_FACTOR = 2.0
"""A label cue of weight b multiplies that label's probability by 1 + LABEL_BOOST_FACTOR·b."""


class FastReader:
    """Reads messages with the shipped classifier, the cue rules and the lexicons.

    The embedder is injected (tests and the CLI share one); by default it is the one the
    artefact was trained on, which must match.
    """

    def __init__(
        self,
        classifier: EmotionClassifier | None = None,
        embedder: Embedder | None = None,
        lexicon: LexiconValence | None = None,
        flag_model: FlagModel | None = None,
    ) -> None:
        self.classifier = classifier or EmotionClassifier.load()
        self.embedder = embedder or get_embedder(self.classifier.embedder)
        self.flag_model = flag_model or FlagModel.load()
        for what, trained_on in (
            ("classifier", self.classifier.embedder),
            ("flag detectors", self.flag_model.embedder),
        ):
            if self.embedder.name != trained_on:
                raise ValueError(
                    f"the {what} were trained on '{trained_on}' embeddings, "
                    f"not '{self.embedder.name}'"
                )
        self.lexicon = lexicon or LexiconValence()
        self._head = self.classifier.head("taxonomy")
        if tuple(self._head.labels) != LABELS:
            raise ValueError(f"the taxonomy head's labels {self._head.labels} are not {LABELS}")

    @classmethod
    def from_path(cls, path: Path | None) -> FastReader:
        return cls(EmotionClassifier.load(path))

    def read(self, text: str, lang: Lang | None = None) -> EmotionReading:
        """The reading of one message."""
        return self.read_batch([text], [lang])[0]

    def read_batch(
        self, texts: Sequence[str], langs: Sequence[Lang | None] | None = None
    ) -> list[EmotionReading]:
        """Readings of several messages; embedding them together is much faster."""
        if not texts:
            return []
        given = list(langs) if langs is not None else [None] * len(texts)
        if len(given) != len(texts):
            raise ValueError("texts and langs differ in length")
        parts = segment(texts)
        # one embedding call: the messages, then the clauses of those that have several
        batch = list(texts)
        rows: list[list[int]] = []
        for index, clauses in enumerate(parts):
            if len(clauses) == 1:
                rows.append([index])
            else:
                rows.append(list(range(len(batch), len(batch) + len(clauses))))
                batch.extend(clause.text for clause in clauses)
        embeddings = self.embedder.embed(batch)
        probabilities = self._head.prior_corrected(
            self._head.probabilities(embeddings[: len(texts)])
        )
        readings = []
        for index, (text, lang, row) in enumerate(zip(texts, given, probabilities, strict=True)):
            cues = find_cues(text)
            finding = find_flags(
                self.flag_model,
                text,
                parts[index],
                embeddings[rows[index]],
                cues.flags,
                cues.evidence,
            )
            cleared = set(finding.cleared)
            cues.flags = set(finding.flags)
            cues.evidence = sorted(
                [*(s for s in cues.evidence if s not in cleared), *finding.evidence],
                key=lambda span: (span.start, span.end),
            )
            readings.append(self._combine(text, lang or detect_lang(text), row, cues))
        return readings

    def _combine(
        self, text: str, lang: Lang, probabilities: np.ndarray, cues: CueHits
    ) -> EmotionReading:
        scores = boosted_scores(probabilities, cues)
        label: EmotionLabel = max(LABELS, key=lambda name: scores[name])
        lexical = self.lexicon.compound(text, lang)
        model_valence = sum(scores[name] * LABEL_VALENCE[name] for name in LABELS)
        valence = model_valence if lexical == 0.0 else 0.6 * model_valence + 0.4 * lexical
        arousal = sum(scores[name] * LABEL_AROUSAL[name] for name in LABELS)
        flags = EmotionFlags(**{name: True for name in cues.flags if name in FLAG_NAMES})
        threats = int(flags.threatens_to_leave) + int(flags.legal_threat)
        intensity = (
            arousal + 0.25 * abs(lexical) + cues.intensity + 0.15 * threats + 0.2 * cues.effort
        )
        urgency_parts = [cues.urgency]
        if flags.vulnerable_situation:
            urgency_parts.append(0.3)
        if flags.legal_threat:
            urgency_parts.append(0.2)
        if valence < 0:
            urgency_parts.append(0.3 * _clip(intensity, 0.0, 1.0))
        urgency = 1.0 - float(np.prod([1.0 - part for part in urgency_parts]))
        return EmotionReading(
            label=label,
            scores=scores,
            valence=round(_clip(valence, -1.0, 1.0), 4),
            intensity=round(_clip(intensity, 0.0, 1.0), 4),
            effort=round(_clip(cues.effort, 0.0, 1.0), 4),
            urgency=round(_clip(urgency, 0.0, 1.0), 4),
            flags=flags,
            evidence=cues.evidence,
            lang=lang,
            source="fast",
        )


def boosted_scores(probabilities: np.ndarray, cues: CueHits) -> dict[EmotionLabel, float]:
    """Classifier probabilities with the cue rules' label boosts, normalised to sum to 1."""
    raw = np.asarray(probabilities, dtype=np.float64).copy()
    boosts = dict(cues.label_boosts)
    boosts["frustration"] = max(boosts.get("frustration", 0.0), cues.effort)
    for index, name in enumerate(LABELS):
        raw[index] *= 1.0 + LABEL_BOOST_FACTOR * boosts.get(name, 0.0)
    raw /= raw.sum()
    rounded = {name: round(float(value), 4) for name, value in zip(LABELS, raw, strict=True)}
    return rounded


def _clip(value: float, low: float, high: float) -> float:
    return float(min(high, max(low, value)))
