"""What the learned flag detectors see: clauses with their offsets, and hashed word features.

A message is cut into clauses (sentences, and the parts of a sentence around "mais" /
"but"), each keeping its offsets in the original text so that a flag raised on one can
point at it as its evidence. Each clause is described by its sentence embedding (computed
by the caller, batched) and by hashed word unigrams and bigrams of its folded text, where
every word inside a negation's scope is marked (`~word`): "pas besoin de me rappeler"
gives `~besoin ~de ~me ~rappeler`, so that a request and its refusal do not share their
features. The hash is CRC-32 (stable across processes and machines, unlike `hash()`).
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass

from agents.emotion.cues import fold

HASH_DIM = 1 << 15
"""Number of hashed word-feature buckets."""
MAX_CLAUSES = 12
"""A longer message keeps its first clauses apart and its tail as one last clause."""

_BOUNDARY = re.compile(r"[.!?;\n]+|\s+(?=(?:mais|but|however|cependant|pourtant)\b)", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NEGATORS = frozenset(
    {
        "pas",
        "jamais",
        "plus",
        "aucun",
        "aucune",
        "nul",
        "nulle",
        "inutile",
        "sans",
        "not",
        "never",
        "no",
        "without",
        "don't",
        "dont",
        "won't",
        "wont",
        "didn't",
        "doesn't",
        "isn't",
        "aren't",
        "haven't",
        "can't",
        "cannot",
        "nobody",
        "personne",
    }
)
_SCOPE_END = frozenset({"mais", "but", "sinon", "otherwise", "si", "if", "unless", "et", "and"})
_SCOPE_WORDS = 5
"""A negation marks at most this many words after it (within the clause)."""


@dataclass(frozen=True)
class Clause:
    """A piece of a message, with its offsets in the original text."""

    start: int
    end: int
    text: str


def clauses(text: str) -> list[Clause]:
    """The message's clauses (at least one when the text has any word), in order."""
    found: list[Clause] = []
    position = 0
    for match in _BOUNDARY.finditer(text):
        _append(found, text, position, match.start())
        position = match.end()
    _append(found, text, position, len(text))
    if len(found) > MAX_CLAUSES:
        tail = found[MAX_CLAUSES - 1]
        last = found[-1]
        found = [
            *found[: MAX_CLAUSES - 1],
            Clause(tail.start, last.end, text[tail.start : last.end]),
        ]
    return found


def _append(found: list[Clause], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not any(char.isalnum() for char in stripped):
        return
    offset = start + piece.index(stripped)
    found.append(Clause(offset, offset + len(stripped), stripped))


def tokens(text: str) -> list[str]:
    """Folded words, those in a negation's scope marked with `~`."""
    out: list[str] = []
    scope = 0
    for word in _TOKEN.findall(fold(text)):
        if word in _SCOPE_END:
            scope = 0
            out.append(word)
            continue
        if word in _NEGATORS or word.endswith("n't"):
            scope = _SCOPE_WORDS
            out.append(word)
            continue
        if scope:
            out.append(f"~{word}")
            scope -= 1
        else:
            out.append(word)
    return out


def hashed_features(text: str) -> dict[int, float]:
    """Bucket → value of the clause's unigrams and bigrams (L2-normalised, binary)."""
    words = tokens(text)
    grams = set(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)}
    if not grams:
        return {}
    buckets = {zlib.crc32(gram.encode("utf-8")) % HASH_DIM for gram in grams}
    value = 1.0 / len(buckets) ** 0.5
    return dict.fromkeys(buckets, value)
