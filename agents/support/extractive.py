"""The extractive draft: a reply composed by code from the knowledge passages.

Used where the model's profile does not trust it to draft freely (the embedded 135M model),
and as the fallback of a trusted model whose drafts all failed the check. The reply is:

    greeting by name · an acknowledgement chosen by the emotion reading · the answer ·
    the next step · the closing (the check appends the AI-assistance disclosure)

The answer is one to three sentences taken as they are written from the passages that
answer best: each passage (above the relevance floor, in the reply's language) is turned
into plain text (headings, Markdown tables, list marks and emphasis removed) and cut at
sentence boundaries; each sentence is scored against the customer's message by the
knowledge base's multilingual embedder and by the overlap of their content words. Every
sentence is followed by its passage's citation, in the format the check reads. When no
sentence answers well enough, the draft says so plainly and says a person will take over:
nothing is made up. Texts of the frame: `prompts/templates/draft_frame.yaml`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

import prompts
from agents.core.emotion import EmotionLabel
from agents.core.lang import Lang
from agents.support.check import EMAIL, PHONE, REFERENCE, gestures_over_limit
from agents.support.schemas import Passage

MIN_WORDS = 5
"""Shorter fragments (a table header, "Attention :") are not sentences worth quoting."""
MAX_WORDS = 60
MAX_ANSWER_CHARS = 600
"""The answer's length at most: a reply, not a copy of the documentation."""
MAX_SENTENCES = 3
SENTENCE_FLOOR = 0.3
"""The lowest score of a quoted sentence (embedding similarity and word overlap mixed)."""
RELATIVE_FLOOR = 0.85
"""A second or third sentence must score at least this share of the best one."""
WEIGHTS = (0.45, 0.3, 0.25)
"""A sentence's score: these shares of its embedding similarity to the message, of the
share of the message's content words it holds, and of its passage's retrieval score."""

_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|[=-]{3,}\s*$)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_WORD = re.compile(r"[a-zà-öø-ÿœæ0-9]+(?:-[a-zà-öø-ÿœæ0-9]+)*")
"""A word; a hyphenated compound ("wi-fi", "e-mail") is one."""

# Function words of both languages, left out of the word overlap (code data: no one reads them).
_STOPWORD_TEXT = """
    le la les un une des du de d et est sont je j tu il elle nous vous ils elles on ne pas t
    plus que qu qui quoi pour dans sur avec mon ma mes ton ta tes son sa ses notre nos
    votre vos leur leurs ce cet cette ces c ça ca au aux en y l s m n a ai as avez ont été
    être suis es sommes êtes fait faire peut peux pouvez puis par ou où si car donc très
    aussi moi me te se lui comment combien quel quelle quels quelles est-ce bonjour merci
    svp the a an and is are was were i you he she we they it not no to of in on for with my
    your this that these those be been have has had do does did can could would will just
    please thanks thank hello hi me am at from by if or but so what why how when where
    which there here its our their any some much many long
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class SentenceEmbedder(Protocol):
    """What the scoring needs of an embedder (`tools.embeddings.Embedder` is one)."""

    def embed(self, texts: Sequence[str], kind: str = "passage") -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a passage, scored against the customer's message."""

    text: str
    citation: str
    score: float
    passage_rank: int
    position: int


@dataclass(frozen=True)
class ExtractiveDraft:
    """A composed reply, the citations it carries and whether it answers at all."""

    text: str
    citations: list[str]
    answered: bool
    sentences: list[ScoredSentence]


def plain_text(text: str) -> str:
    """A passage's text without Markdown: no headings, table rules or list marks; a table
    row's cells joined by commas; emphasis and link syntax removed; one paragraph a line."""
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _HEADING.match(raw) or _TABLE_RULE.match(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            line = ", ".join(cells)
            line = line if line.endswith((".", "!", "?")) else line + "."
            if current:
                paragraphs.append(" ".join(current))
                current = []
            paragraphs.append(line)
            continue
        if _LIST_MARK.match(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            line = _LIST_MARK.sub("", line)
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    cleaned = [_EMPHASIS.sub(r"\2", _LINK.sub(r"\1", p)) for p in paragraphs]
    return "\n".join(p for p in cleaned if p)


def sentences_of(text: str) -> list[str]:
    """The quotable sentences of a passage, cut at sentence boundaries, each ending with
    its punctuation; fragments and run-ons are left out."""
    found: list[str] = []
    for paragraph in plain_text(text).splitlines():
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            words = len(sentence.split())
            if MIN_WORDS <= words <= MAX_WORDS and sentence[-1] in ".!?…":
                found.append(sentence)
    return found


def _fold(word: str) -> str:
    """A word without accents, cut to its first five letters: a light stem that matches
    "renvoyer" with "renvoi", "retours" with "retourner" and "livraison" with "livré"."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return bare[:5]


def content_words(text: str) -> frozenset[str]:
    """The stems of the words that carry meaning (function words of both languages left out)."""
    words: list[str] = []
    for word in _WORD.findall(text.lower().replace("’", "'")):
        parts = word.split("-")
        # "wi-fi" stays one word; "ai-je", "puis-je", "est-il" are a verb and a pronoun
        words.extend(parts if any(p in _STOPWORDS or len(p) == 1 for p in parts) else [word])
    return frozenset(_fold(w) for w in words if w not in _STOPWORDS and len(w) > 2)


def overlap(question: frozenset[str], sentence: str) -> float:
    """The share of the question's content words the sentence holds."""
    if not question:
        return 0.0
    return len(question & content_words(sentence)) / len(question)


_TO_THE_MODEL = re.compile(
    r"\bignor\w*\s+(?:\w+\s+){0,3}(?:instructions?|consignes?|règles|rules)"
    r"|(?:consigne|note|instruction)s?\s+(?:pour|for|to)\s+(?:l'|the\s+)?(?:assistant|ia|ai)\b"
    r"|<\s*/?\s*system\s*>|\bsystem prompt\b|\bprompt système\b",
    re.I,
)
"""A sentence that speaks to the model rather than to a customer (an injection planted in
a document: no company document addresses the assistant)."""


def _quotable(sentence: str, max_gesture_eur: float | None = None) -> bool:
    """No contact detail or reference of anyone in it, no commercial gesture above the
    policy's limit (the check would rightly block either: a passage, even a poisoned one,
    must not put them in a draft), and no instruction addressed to the model."""
    if any(p.search(sentence) for p in (EMAIL, PHONE, REFERENCE, _TO_THE_MODEL)):
        return False
    return max_gesture_eur is None or not gestures_over_limit(sentence, max_gesture_eur)


def best_sentences(
    question: str,
    passages: Sequence[Passage],
    *,
    embedder: SentenceEmbedder | None,
    limit: int = MAX_SENTENCES,
    max_gesture_eur: float | None = None,
) -> list[ScoredSentence]:
    """The sentences of `passages` that answer `question` best (at most `limit`, in the
    order of the passages and of the text), or none when nothing reaches the floor; a
    sentence offering a gesture above `max_gesture_eur` is never quoted."""
    candidates: list[tuple[int, int, str, str]] = []
    headings: list[str] = []
    for rank, passage in enumerate(passages):
        heading = passage.section.replace(">", " ")
        for position, sentence in enumerate(sentences_of(passage.text)):
            if _quotable(sentence, max_gesture_eur):
                candidates.append((rank, position, sentence, passage.citation_id))
                headings.append(heading)
    if not candidates:
        return []
    asked = content_words(question)
    # a sentence's words count with its section's heading ("Option Wi-Fi+" above
    # "Un répéteur … est loué 3 € par mois")
    lexical = np.array(
        [overlap(asked, f"{h} {c[2]}") for c, h in zip(candidates, headings, strict=True)],
        dtype=np.float32,
    )
    retrieved = np.array([passages[c[0]].score for c in candidates], dtype=np.float32)
    embedding, words, retrieval = WEIGHTS
    if embedder is not None:
        query = embedder.embed([question], kind="query")
        rows = embedder.embed([c[2] for c in candidates], kind="passage")
        similarity = np.clip(rows @ query[0], 0.0, 1.0)
    else:  # no embedder: the word overlap carries its share too
        similarity, embedding, words = lexical, 0.0, embedding + words
    scores = embedding * similarity + words * lexical + retrieval * retrieved
    order = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), i))
    best = float(scores[order[0]])
    if best < SENTENCE_FLOOR:
        return []
    chosen: list[ScoredSentence] = []
    length = 0
    for i in order:
        rank, position, sentence, citation = candidates[i]
        score = float(scores[i])
        if len(chosen) == limit or score < max(SENTENCE_FLOOR, RELATIVE_FLOOR * best):
            break
        if lexical[i] == 0 and chosen:
            continue  # a second sentence must share a word with the question
        if length + len(sentence) > MAX_ANSWER_CHARS and chosen:
            continue
        chosen.append(ScoredSentence(sentence, citation, round(score, 3), rank, position))
        length += len(sentence)
    return sorted(chosen, key=lambda s: (s.passage_rank, s.position))


def _variant(keys: Sequence[str], seed: str) -> str:
    """One of `keys`, always the same for the same seed (a conversation keeps its voice)."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    return keys[digest % len(keys)]


def acknowledgement(label: EmotionLabel, lang: Lang, seed: str) -> str:
    """A sentence that fits the emotion of the message (neutral when none is written)."""
    frame = prompts.snippets("draft_frame")[lang]
    keys = sorted(k for k in frame if k.startswith(f"ack_{label}_"))
    keys = keys or sorted(k for k in frame if k.startswith("ack_neutral_"))
    return frame[_variant(keys, seed)]


def compose(
    sentences: Sequence[ScoredSentence],
    *,
    lang: Lang,
    label: EmotionLabel,
    first_name: str,
    seed: str,
) -> str:
    """The reply around the chosen sentences (or the honest "no answer" when none)."""
    frame = prompts.snippets("draft_frame")[lang]
    greeting = (
        frame["greeting"].format(name=first_name) if first_name else frame["greeting_anonymous"]
    )
    parts = [greeting, acknowledgement(label, lang, seed)]
    if sentences:
        answer = " ".join(f"{s.text} [{s.citation}]" for s in sentences)
        parts.append(f"{frame['answer_intro']} {answer}")
        parts.append(frame["next_step"])
    else:
        parts.append(frame["no_answer"])
    parts.append(frame["closing"])
    return "\n\n".join(parts)


def closing_reply(*, lang: Lang, customer_name: str, seed: str) -> str:
    """The short reply to a closing message (thanks, settled, feedback): nothing quoted."""
    frame = prompts.snippets("draft_frame")[lang]
    first_name = customer_name.split(" ")[0] if customer_name else ""
    greeting = (
        frame["greeting"].format(name=first_name) if first_name else frame["greeting_anonymous"]
    )
    keys = sorted(k for k in frame if k.startswith("closing_reply_"))
    return "\n\n".join(
        [greeting, frame[_variant(keys, seed)], frame["closing_offer"], frame["closing"]]
    )


def extractive_draft(
    question: str,
    passages: Sequence[Passage],
    *,
    lang: Lang,
    label: EmotionLabel,
    customer_name: str,
    seed: str,
    embedder: SentenceEmbedder | None,
    floor: float,
    max_gesture_eur: float | None = None,
) -> ExtractiveDraft:
    """The composed reply to `question` from `passages` above the relevance `floor`, in
    `lang` (a passage in another language is not quoted; nor is a sentence offering a
    gesture above `max_gesture_eur`, the policy's limit)."""
    usable = [p for p in passages if p.score >= floor and (p.lang is None or p.lang == lang)]
    sentences = best_sentences(question, usable, embedder=embedder, max_gesture_eur=max_gesture_eur)
    first_name = customer_name.split(" ")[0] if customer_name else ""
    text = compose(sentences, lang=lang, label=label, first_name=first_name, seed=seed)
    citations = list(dict.fromkeys(s.citation for s in sentences))
    return ExtractiveDraft(text, citations, bool(sentences), list(sentences))
