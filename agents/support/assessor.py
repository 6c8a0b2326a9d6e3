"""The fast assessor: what a customer asks, judged on CPU in milliseconds, both languages.

It gives the graph's `Assessment` without a model call:

- **Requests** (`intents`): the message is cut into clauses (sentences, and the parts
  joined by "et aussi", "par ailleurs", "also", "finally", …); a clause counts when it asks
  or reports something (a question, a request verb, a problem) rather than greeting,
  thanking or venting; clauses whose sentence embeddings are nearly the same (cosine ≥
  `SAME_REQUEST`) are one request. "Trois choses : …" / "three things: …" count as said.
- **Sensitive topics** (legal, GDPR, bereavement, health, hardship, fraud) and a
  **request for an exception to policy**: one logistic regression each over the clause's
  sentence embedding and hashed words (the same features as the escalation flags), trained
  by `python -m agents.support.assessor_train` on hand-written bilingual examples
  (`agents/support/assessor_data/train.jsonl`; thresholds from cross-validation on that
  file), OR explicit cue rules (a legal threat also has its own flag and rule).
- **Complexity**: high for three requests or more, or two with a sensitive topic or an
  exception request; medium for two requests, a sensitive topic, an exception request or a
  long message; low otherwise.

`merge_assessments(code, model)` is how a trusted model's assessment joins in: it can only
add (more requests, a higher complexity, more topics, an exception), never clear what the
code found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import get_args

import numpy as np

from agents.core.emotion import EmotionReading
from agents.emotion.cues import fold
from agents.emotion.flags.detector import FlagModel
from agents.support.schemas import Assessment, Complexity, SensitiveTopic
from tools.embeddings import Embedder, get_embedder

TOPICS: tuple[SensitiveTopic, ...] = get_args(SensitiveTopic)
EXCEPTION = "policy_exception"
HEADS: tuple[str, ...] = (*TOPICS, EXCEPTION)
SAME_REQUEST = 0.8
"""Cosine similarity from which two clauses are taken for the same request."""
LONG_MESSAGE_WORDS = 90

_COMPLEXITY_ORDER: dict[Complexity, int] = {"low": 0, "medium": 1, "high": 2}

_TOPIC_CUES: dict[str, re.Pattern[str]] = {
    "legal": re.compile(
        r"\b(?:avocat\w*|tribunal|justice|proces|mise en demeure|huissier|plainte|juridique"
        r"|mediateur|assignation|lawyer|attorney|solicitor|court|lawsuit|sue|legal action"
        r"|ombudsman|small claims|proceedings)\b"
    ),
    "gdpr": re.compile(
        r"\b(?:rgpd|gdpr|cnil|ico|donnees personnelles|mes donnees|droit a l'oubli|droit d'acces"
        r"|personal data|my data|right to be forgotten|subject access|data protection"
        r"|data breach|fuite de donnees)\b"
    ),
    "bereavement": re.compile(
        r"\b(?:deces|decede\w*|deuil|obseques|defunt\w*|succession|veu(?:f|ve)|passed away|died"
        r"|death|funeral|bereave\w*|widow\w*|deceased|my late|probate|estate)\b"
    ),
    "health": re.compile(
        r"\b(?:malade|maladie|hopital|hospitalise\w*|cancer|chimio\w*|handicap\w*|fauteuil roulant"
        r"|sourd\w*|malvoyant\w*|aveugle|dialyse|oxygene|depression|ill|illness|hospital"
        r"|chemo\w*|disabled|disability|wheelchair|deaf|blind|dialysis|oxygen|dementia)\b"
    ),
    "hardship": re.compile(
        r"\b(?:chomage|sans emploi|rsa|surendett\w*|pas les moyens|plus les moyens|difficultes?"
        r" financieres?|precarite|unemployed|out of work|can't afford|cannot afford|hardship"
        r"|in debt|on benefits|financial difficulty|financial trouble)\b"
    ),
    "fraud": re.compile(
        r"\b(?:fraud\w*|usurpation|pirat\w*|arnaque|escroquerie|phishing|hameconnage|a mon insu"
        r"|sans mon (?:accord|autorisation|consentement)|identity (?:theft|stolen)|hacked"
        r"|scam|without my (?:consent|permission|knowledge)|sim swap)\b"
    ),
    EXCEPTION: re.compile(
        r"\b(?:exception\w*|derogation|hors garantie|delai (?:est )?depasse|passer outre"
        r"|make an exception|waive|out of warranty|past the (?:return )?(?:window|deadline)"
        r"|bend the rules?|just this once)\b"
    ),
}

_SPLIT = re.compile(
    r"[.!?;\n]+|:\s|\s+(?=(?:et aussi|et puis|par ailleurs|de plus|en plus|en outre|enfin"
    r"|autre chose|and also|also,|finally|on top of that|besides|additionally|another thing)\b)"
    r"|,\s*(?:et|and)\s+(?=\w+\s+\w+)",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\?|\b(?:pouvez|pourriez|pourrais|peux|puis-je|voudrais|souhaite\w*|veux|aimerais|merci de"
    r"|besoin|comment|quand|ou est|ou en est|pourquoi|quel\w*|combien|est-ce|can you|could you"
    r"|can i|could i|i want|i'd like|i would like|please|need|how|when|where|why|what|which"
    r"|is it|are)\b"
    r"|\b(?:ne|n')\s*\w+\s+(?:pas|plus|jamais)\b|\b(?:panne|fausse|faux|erreur|retard|coupe"
    r"|broken|down|wrong|late|never got|never received|doesn't|won't|isn't|not working|rejects"
    r"|refuse\w*|trop elevee?)\b"
)
_COUNTED = re.compile(
    r"\b(deux|trois|quatre|cinq|two|three|four|five)\s+(?:choses|questions|points|demandes"
    r"|problemes|soucis|sujets|things|issues|requests|problems|matters)\b"
)
_NUMBERS = {"deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4, "four": 4}
_NUMBERS |= {"cinq": 5, "five": 5}


def default_assessor_path() -> Path:
    return Path(str(resources.files("agents.support").joinpath("model", "assessor.npz")))


def request_clauses(text: str) -> list[str]:
    """The clauses of `text` that ask or report something, in order."""
    parts = [p.strip(" ,-") for p in _SPLIT.split(text)]
    return [p for p in parts if p and len(p.split()) >= 2 and _REQUEST.search(fold(p))]


@dataclass
class FastAssessor:
    """Assesses one message with code and embeddings (heads loaded on first use)."""

    model: FlagModel | None = None
    embedder: Embedder | None = None
    _loaded: bool = field(default=False, repr=False)

    def _ready(self) -> tuple[FlagModel, Embedder]:
        if self.model is None:
            self.model = FlagModel.load(default_assessor_path())
        if self.embedder is None:
            self.embedder = get_embedder(self.model.embedder)
        return self.model, self.embedder

    def assess(self, text: str, reading: EmotionReading | None = None) -> Assessment:
        model, embedder = self._ready()
        asked = request_clauses(text)
        whole = text.strip()
        parts = asked or [whole]
        vectors = embedder.embed([whole, *parts])
        found = self._labels(model, [whole, *parts], vectors)
        requests = _distinct(parts, vectors[1:]) if asked else [whole]
        counted = _COUNTED.search(fold(text))
        count = max(len(requests), _NUMBERS[counted.group(1)] if counted else 0)
        topics = [t for t in TOPICS if t in found]
        exception = EXCEPTION in found
        return Assessment(
            summary=(requests[0] if requests else whole)[:400],
            intents=_intents(requests, count),
            complexity=_complexity(count, bool(topics), exception, len(text.split())),
            sensitive_topics=list(topics) or ["none"],
            policy_exception_requested=exception,
        )

    @staticmethod
    def _labels(model: FlagModel, texts: Sequence[str], vectors: np.ndarray) -> set[str]:
        found: set[str] = set()
        probabilities = model.probabilities(vectors, texts)
        for name, row in probabilities.items():
            if float(row.max()) >= model.heads[name].threshold:
                found.add(name)
        folded = fold(" ".join(texts[:1]))
        found |= {name for name, cue in _TOPIC_CUES.items() if cue.search(folded)}
        return found


def _intents(requests: list[str], count: int) -> list[str]:
    """At most five requests, padded when the customer announced more than were split."""
    named = [r[:120] for r in requests][:5]
    extra = [f"(announced request {n})" for n in range(len(named) + 1, min(count, 5) + 1)]
    return named + extra


def _distinct(parts: list[str], vectors: np.ndarray) -> list[str]:
    kept: list[int] = []
    for index in range(len(parts)):
        if all(float(vectors[index] @ vectors[j]) < SAME_REQUEST for j in kept):
            kept.append(index)
    return [parts[i] for i in kept]


def _complexity(requests: int, sensitive: bool, exception: bool, words: int) -> Complexity:
    if requests >= 3 or (requests >= 2 and (sensitive or exception)):
        return "high"
    if requests == 2 or sensitive or exception or words > LONG_MESSAGE_WORDS:
        return "medium"
    return "low"


def merge_assessments(code: Assessment, model: Assessment | None) -> Assessment:
    """The code's assessment, with what a trusted model adds (it never clears anything)."""
    if model is None:
        return code
    intents = list(code.intents)
    for intent in model.intents:
        if len(intents) >= 5:
            break
        if len(model.intents) > len(intents) and intent not in intents:
            intents.append(intent)
    complexity = max(code.complexity, model.complexity, key=_COMPLEXITY_ORDER.__getitem__)
    topics = [t for t in TOPICS if t in {*code.sensitive_topics, *model.sensitive_topics}]
    return Assessment(
        summary=model.summary or code.summary,
        intents=intents,
        complexity=complexity,
        sensitive_topics=list(topics) or ["none"],
        policy_exception_requested=code.policy_exception_requested
        or model.policy_exception_requested,
    )
