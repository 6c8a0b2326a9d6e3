"""Checks a draft before any human sees it. Code, not model: every rule is explicit.

- citations must name retrieved passages (an unknown one is blocking);
- figures (amounts, percentages, durations, dates) must appear in a cited passage or in
  the customer's own CRM facts, otherwise they are flagged as ungrounded;
- a commercial gesture may not exceed the policy's limit (blocking);
- no email, phone number or reference that is not the customer's own (blocking: it could
  be another customer's data);
- no citation at all while good passages were found is blocking (a plain question then
  gets a grounded answer, from the model's redraft or the extractive draft);
- degenerate output is blocking (`degenerate_findings`): a repetition loop (the same
  word sequence or line again and again, the 135M model's failure), the wrong language
  (not the turn's), a draft cut off at the token limit or ending mid-sentence;
- the AI-assistance disclosure is appended when the policy asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import prompts
from agents.core.lang import Lang
from agents.emotion.lang import detect_lang
from agents.support.schemas import CheckFinding, Passage

CITATION = re.compile(r"\[([a-z0-9][\w-]*#[\w-]+)\]")
FIGURE = re.compile(
    r"(?<![\w#-])(?:(\d+(?:[.,]\d+)?)\s*(€|euros?|EUR|%|jours?|days?|mois|months?)"
    r"|€\s?(\d+(?:[.,]\d+)?))",
    re.I,
)
"""A figure with its unit: `10 €`, `10 euros`, `€10` (English order), `5 %`, `3 jours`."""
AMOUNT = re.compile(
    r"(?:(?<!\d)(\d++(?:[.,]\d++)?)\s*+(?:€|euros?|EUR)|€\s?(\d++(?:[.,]\d++)?))", re.I
)
"""An amount in euros. It starts where a number starts and its digit runs are possessive,
so a long run of digits is read once, not once per starting digit (linear time)."""
UNITS = {"€": "€", "eu": "€", "%": "%", "jo": "day", "da": "day", "mo": "month"}
"""Units by their first two letters, the same in both languages: a French passage's
`5 jours` grounds an English draft's `5 days`."""
GESTURE_WORDS = re.compile(
    r"geste|avoir|bon d'achat|remise|dédommag|compens|indemn|rembours|carte cadeau"
    r"|voucher|credit|discount|goodwill|refund|gift card",
    re.I,
)
GESTURE_WINDOW = 40
"""Characters after a gesture word in which an amount counts as that gesture's value."""
AMOUNT_BEFORE = re.compile(
    r"(?:(?<!\d)(\d++(?:[.,]\d++)?)\s*+(?:€|euros?|EUR)|€\s?(\d++(?:[.,]\d++)?))"
    r"\s*$",
    re.I,
)
"""An amount right before a gesture word (English order: `a 400 € voucher`, `a full 300 €
refund`); with a word between it is another figure's (`50 € is refunded`: a disputed
purchase, `jusqu'à 60 € de gestes`: the advisor's yearly cap)."""
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
"""An e-mail address, starting where its local part starts (linear time on a long word)."""
PHONE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}|\+\d{1,3}[\s\d-]{8,14}\d")
REFERENCE = re.compile(r"\b[A-Z]{2,5}-\d{3,}[A-Z0-9-]*\b")
NGRAM = 4
"""Word sequences of this length are counted for repetition loops."""
MAX_NGRAM_REPEATS = 3
"""A word sequence seen more often than this is a loop (a reply repeats a phrase at most
once or twice: "your order … your order")."""
MAX_REPEATED_SHARE = 0.3
"""A draft whose repeated word sequences cover more than this share of it is a loop."""
MIN_WORDS_FOR_LANGUAGE = 8
"""Shorter drafts are too short to tell their language reliably."""
FINAL_PUNCTUATION = (".", "!", "?", "…", ":", ")", "»", '"', "]")
_WORDS = re.compile(r"\w+", re.UNICODE)


def citations_in(text: str) -> list[str]:
    return list(dict.fromkeys(CITATION.findall(text)))


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


def _figures(text: str) -> list[tuple[str, str]]:
    """Every figure of `text` as (number as written, unit as written)."""
    return [
        (m.group(3), "€") if m.group(3) else (m.group(1), m.group(2)) for m in FIGURE.finditer(text)
    ]


def gestures_over_limit(draft: str, max_gesture_eur: float) -> list[str]:
    """The amounts (as written) of the draft's commercial gestures above the limit: a
    gesture's amount is the one just before its word (`a 400 € voucher`), else the first
    one within `GESTURE_WINDOW` characters after it (`un avoir de 400 €`)."""
    over: list[str] = []
    for word in GESTURE_WORDS.finditer(draft):
        before = AMOUNT_BEFORE.search(draft[max(0, word.start() - GESTURE_WINDOW) : word.start()])
        window = draft[word.end() : word.end() + GESTURE_WINDOW]
        found = before or AMOUNT.search(window)
        if found:
            amount = found.group(1) or found.group(2)
            if _number(amount) > max_gesture_eur:
                over.append(amount)
    return over


def check_draft(
    draft: str,
    passages: Sequence[Passage],
    facts: str,
    known_identifiers: Sequence[str],
    max_gesture_eur: float,
    lang: Lang = "en",
    *,
    good_passages: bool = False,
) -> list[CheckFinding]:
    """Every problem found, described in `lang` (the turn's language). With
    `good_passages` (the search found passages that answer), a draft citing none is
    blocked."""
    say = prompts.snippets("check_findings")[lang]
    findings: list[CheckFinding] = []
    known_citations = {p.citation_id for p in passages}
    cited = citations_in(draft)
    for citation in cited:
        if citation not in known_citations:
            findings.append(
                CheckFinding(
                    kind="unknown_citation",
                    detail=say["unknown_citation"].format(citation=citation),
                    blocking=True,
                )
            )
    if passages and not cited:
        findings.append(
            CheckFinding(kind="no_citation", detail=say["no_citation"], blocking=good_passages)
        )
    sources = (
        " ".join(p.text for p in passages if p.citation_id in cited or not cited) + " " + facts
    )
    source_figures = {(_number(n), UNITS[u.lower()[:2]]) for n, u in _figures(sources)}
    for number, unit in _figures(draft):
        if (_number(number), UNITS[unit.lower()[:2]]) not in source_figures:
            findings.append(
                CheckFinding(
                    kind="ungrounded",
                    detail=say["ungrounded"].format(figure=f"{number} {unit}"),
                    blocking=False,
                )
            )
    for amount in gestures_over_limit(draft, max_gesture_eur):
        findings.append(
            CheckFinding(
                kind="gesture_over_limit",
                detail=say["gesture_over_limit"].format(
                    amount=amount, limit=f"{max_gesture_eur:g}"
                ),
                blocking=True,
            )
        )
    own = {identifier.lower() for identifier in known_identifiers}
    for pattern in (EMAIL, PHONE, REFERENCE):
        for found in pattern.findall(draft):
            if found.lower() not in own and re.sub(r"[\s.-]", "", found) not in own:
                findings.append(
                    CheckFinding(
                        kind="foreign_data",
                        detail=say["foreign_data"].format(found=found),
                        blocking=True,
                    )
                )
    return findings


def repetition(draft: str) -> str | None:
    """The repeated phrase of a looping draft, or None: a sequence of `NGRAM` words seen
    more than `MAX_NGRAM_REPEATS` times, repeated sequences covering more than
    `MAX_REPEATED_SHARE` of the words, or the same line (of three words or more) twice."""
    lines = [line.strip().lower() for line in draft.splitlines() if len(line.split()) >= 3]
    seen_lines: set[str] = set()
    for line in lines:
        if line in seen_lines:
            return line[:80]
        seen_lines.add(line)
    words = [w.lower() for w in _WORDS.findall(draft)]
    grams = [tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)]
    if not grams:
        return None
    counts: dict[tuple[str, ...], int] = {}
    for gram in grams:
        counts[gram] = counts.get(gram, 0) + 1
    worst, times = max(counts.items(), key=lambda item: item[1])
    covered = sum(n for n in counts.values() if n > 1)
    if times > MAX_NGRAM_REPEATS or (
        len(grams) >= 12 and covered / len(grams) > MAX_REPEATED_SHARE
    ):
        return " ".join(worst)
    return None


def degenerate_findings(draft: str, lang: Lang, *, truncated: bool = False) -> list[CheckFinding]:
    """Blocking findings for output no one should have to read: a repetition loop, a draft
    in the other language, or one cut off (`truncated`: the model stopped at its token
    limit; or its last line of six words or more, the signature aside, has no final
    punctuation). `draft` is the draft itself,
    without the disclosure the check appends."""
    say = prompts.snippets("check_findings")[lang]
    findings: list[CheckFinding] = []
    looped = repetition(draft)
    if looped:
        findings.append(
            CheckFinding(
                kind="repetition", detail=say["repetition"].format(phrase=looped), blocking=True
            )
        )
    body = CITATION.sub("", draft).strip()
    if len(body.split()) >= MIN_WORDS_FOR_LANGUAGE and detect_lang(body) != lang:
        findings.append(
            CheckFinding(kind="wrong_language", detail=say["wrong_language"], blocking=True)
        )
    sentences = [line.strip() for line in body.splitlines() if len(line.split()) >= 6]
    cut = bool(sentences) and not sentences[-1].endswith(FINAL_PUNCTUATION)
    if truncated or cut:
        findings.append(CheckFinding(kind="truncated", detail=say["truncated"], blocking=True))
    return findings


def with_disclosure(draft: str, disclosure: str | None) -> str:
    """The draft with the AI-assistance disclosure appended once (when configured)."""
    if not disclosure or disclosure in draft:
        return draft
    return f"{draft.rstrip()}\n\n{disclosure}"
