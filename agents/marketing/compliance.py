"""Compliance check of a marketing e-mail: code rules first, then an optional LLM review.

The code rules are the guarantee: they run on every e-mail, in French and English, and
catch the planted violations the evaluation suites use on their own (the default
SmolLM2-135M model judges poorly). The LLM review can only ADD flags, and only for rules
it can back with a quote found in the e-mail; its failure never removes a code-rule flag.

Rules (ids in `RULE_IDS`):

- `false_urgency`: pressure and scarcity ("last chance", "plus que 3 places", "hurry");
  deadline phrases ("ends tonight", "jusqu'à minuit") unless the offer's facts state a
  deadline themselves.
- `guilt_or_fear`: guilt, shame, fear of loss or of missing out ("vous le regretterez",
  "don't let your family down").
- `unbacked_claim`: a figure with a unit (price, percentage, speed, data, duration) or an
  absolute claim ("the best", "gratuit", "illimité", "garanti") that the offer's facts do
  not contain.
- `missing_legal_mentions`: no identification of the company (legal form with a
  registration number or registered office).
- `missing_unsubscribe`: no way to unsubscribe.
- `sensitive_targeting`: the segment filter uses a sensitive attribute (health,
  vulnerability, religion, origin, financial hardship, emotional state, a social tariff
  that reveals welfare benefits...), or the copy points at one ("given your illness").

Recipients without marketing consent are not a flag here: they are excluded from the
segment before drafting, and counted (`agents.marketing.audience`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

import prompts
from agents.core.lang import Lang
from agents.llm.client import LLMClient, LLMError

log = logging.getLogger(__name__)

RULE_IDS: tuple[str, ...] = (
    "false_urgency",
    "guilt_or_fear",
    "unbacked_claim",
    "missing_legal_mentions",
    "missing_unsubscribe",
    "sensitive_targeting",
)

NOT_OVERRIDABLE: tuple[str, ...] = ("missing_legal_mentions", "missing_unsubscribe")
"""Rules no override reason lifts: an e-mail must identify its sender and offer a way to
unsubscribe (the law's, not a judgement call)."""

RuleId = Literal[
    "false_urgency",
    "guilt_or_fear",
    "unbacked_claim",
    "missing_legal_mentions",
    "missing_unsubscribe",
    "sensitive_targeting",
]


class ComplianceFlag(BaseModel):
    """One problem found in an e-mail (or in the targeting of its segment)."""

    rule: str
    """One of `RULE_IDS`."""
    detail: str
    """What was seen, quoted, so a person can judge the flag."""
    source: Literal["rule", "llm"]
    """`rule` for the code rules, `llm` for the model's review."""


# --- text normalisation -----------------------------------------------------------------
def normalise(text: str) -> str:
    """Lower case, accents removed, typographic quotes and spaces made plain."""
    text = text.replace("’", "'").replace("`", "'").replace("\u00a0", " ").replace("\u202f", " ")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[ \t]+", " ", stripped)


class _Normalised(str):
    """A normalised text that remembers, for each of its characters, where it came from,
    so a flag can quote the e-mail's own words (accents and case included)."""

    original: str
    positions: list[int]


_PLAIN = {"’": "'", "`": "'", "\u00a0": " ", "\u202f": " "}


def normalised(text: str) -> _Normalised:
    """`normalise(text)`, with the map back to `text`."""
    chars: list[str] = []
    index: list[int] = []
    previous_space = False
    for position, original in enumerate(text):
        for char in unicodedata.normalize("NFKD", _PLAIN.get(original, original).lower()):
            if unicodedata.combining(char):
                continue
            if char in " \t":
                if previous_space:
                    continue
                char, previous_space = " ", True
            else:
                previous_space = False
            chars.append(char)
            index.append(position)
    result = _Normalised("".join(chars))
    result.original = text
    result.positions = index
    return result


def _compile(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


# Patterns are written against `normalise`d text (no accents, lower case), one idea a line.
# --- false urgency and scarcity ---
PRESSURE = _compile(
    [
        r"\blast chance\b",
        r"\bfinal chance\b",
        r"\bderniere chance\b",
        r"\bdernieres? heures?\b",
        r"\bhurry\b",
        r"\bdepechez[- ]vous\b",
        r"\bfaites vite\b",
        r"\bvite ?!",
        r"\bact (now|fast|quickly)\b",
        r"\bagissez (maintenant|vite|des maintenant)\b",
        r"\bonly \d+ (left|remaining|spots?|places?|units?)\b",
        r"\bjust \d+ left\b",
        r"\b(plus que|il ne reste (plus )?que|seulement) \d+ (places?|exemplaires?|offres?|unites?|"
        r"box|forfaits?|jours?|heures?)\b",
        r"\b(limited|low) stock\b",
        r"\bstock (tres )?limite\b",
        r"\bwhile (stocks|supplies) last\b",
        r"\bdans la limite des stocks\b",
        r"\b(before|avant) (it'?s|qu'il ne soit) (too late|trop tard)\b",
        r"\bdon'?t miss (out|this)\b",
        r"\bne (la |le |les )?(ratez|manquez) pas\b",
        r"\bnow or never\b",
        r"\bmaintenant ou jamais\b",
        r"\bselling out\b",
        r"\bpart comme des petits pains\b",
        r"\bbientot (epuise|fini)e?s?\b",
        r"\balmost gone\b",
        r"\bexpires? (in|within) \d+",
        r"\bcompte a rebours\b",
        r"\bcountdown\b",
        r"\burgent\b",
    ]
)
DEADLINE = _compile(
    [
        r"\b(ends?|expires?|finishes?) (tonight|today|at midnight|soon|tomorrow)\b",
        r"\b(today|tonight) only\b",
        r"\bonly (today|tonight)\b",
        r"\b(aujourd'hui|ce soir) (seulement|uniquement)\b",
        r"\b(seulement|uniquement) (aujourd'hui|ce soir)\b",
        r"\b(se termine|expire|prend fin|s'arrete) (ce soir|aujourd'hui|a minuit|demain|bientot)\b",
        r"\b(jusqu'a|until|till) (minuit|midnight|ce soir|tonight)\b",
        r"\b(dans|within|in) (les )?(\d+|prochaines) ?(h|heures|hours)\b",
        r"\b(next|prochaines) \d+ ?(h|heures|hours)\b",
        r"\b24 ?h(eures)? (chrono|seulement|only)\b",
    ]
)
FACT_DEADLINE = re.compile(
    r"\b(valable jusqu'au|jusqu'au \d|until \d|valid until|ends on|se termine le|"
    r"offre valable|offer valid|expires on|date limite|deadline)\b"
)

# --- guilt, shame and fear ---
GUILT_OR_FEAR = _compile(
    [
        r"\byou'?ll regret\b",
        r"\byou will regret\b",
        r"\bdon'?t (let|leave) (your|the) (family|kids|children|loved ones)\b",
        r"\blet (your|the) (family|kids|children|loved ones) down\b",
        r"\b(vous le |le )?regretterez\b",
        r"\bne laissez pas (tomber )?(votre famille|vos proches|vos enfants)\b",
        r"\b(laisser|laissez) tomber (votre famille|vos proches|vos enfants)\b",
        r"\b(don'?t|do not) be the (only|last) one\b",
        r"\bne soyez pas (le seul|la seule|le dernier|la derniere)\b",
        r"\b(everyone|all your (friends|neighbours|neighbors)) (else )?(has|have) already\b",
        r"\btout le monde (a|l'a) deja\b",
        r"\b(tous )?vos (voisins|amis) (ont|l'ont) deja\b",
        r"\bwhat are you waiting for\b",
        r"\bqu'attendez[- ]vous\b",
        r"\b(left|fall|falling) behind\b",
        r"\b(a la traine|laisse de cote|depasse par les autres)\b",
        r"\b(risk|risking) (losing|missing)\b",
        r"\brisque[rz]? de (perdre|manquer|rater)\b",
        r"\b(ashamed|shame on|irresponsible|selfish)\b",
        r"\b(honte|irresponsable|egoiste)\b",
        r"\b(afraid|scared|terrified|frightening)\b",
        r"\b(peur|effraye|terrifiant|angoisse)\b",
        r"\b(your|vos?) (family|famille|proches|children|enfants|loved ones) (are|is|sont|est) "
        r"(at risk|in danger|en danger|a risque|exposes?)\b",
        r"\b(en danger|at risk)\b",
        r"\bdon'?t you care\b",
        r"\bvous ne voulez (quand meme )?pas que\b",
        r"\bare you (really )?(sure|ready) (you want )?to (miss|lose|give up)\b",
        r"\betes[- ]vous (vraiment )?(sur|sure|pret|prete)s? (de|a) (rater|perdre|passer a cote)\b",
        r"\bmiss(ing)? out\b",
        r"\bfomo\b",
        r"\bwe'?ll be (so )?(sad|hurt|disappointed)\b",
        r"\bnous serions (tres )?(tristes|decus|blesses)\b",
        r"\bafter all we'?ve done\b",
        r"\bapres tout ce que nous avons fait\b",
    ]
)

# --- claims -------------------------------------------------------------------------------
ABSOLUTE_CLAIMS: dict[str, re.Pattern[str]] = {
    "free": re.compile(r"\b(free|gratuit(e|s|es)?|offert(e|s|es)?|for nothing|sans frais)\b"),
    "unlimited": re.compile(r"\b(unlimited|illimite(e|s|es)?|sans limite)\b"),
    "best": re.compile(
        r"\b(the best|best[- ]in[- ]class|le meilleur|la meilleure|les meilleur(e)?s|"
        r"meilleur (prix|reseau|debit|operateur)|unbeatable|imbattable)\b"
    ),
    "number one": re.compile(r"(\bn[°o]\.? ?1\b|\bnumber one\b|#1\b|\bnumero un\b|\bleader\b)"),
    "cheapest": re.compile(
        r"\b(cheapest|lowest price|le moins cher|la moins chere|prix le plus bas|moins cher "
        r"du marche)\b"
    ),
    "fastest": re.compile(r"\b(fastest|le plus rapide|la plus rapide|plus rapide du marche)\b"),
    "guaranteed": re.compile(r"\b(guarantee(d)?|garanti(e|s|es)?|100 ?%)"),
}
CLAIM_LABELS = {
    "free": "free / gratuit",
    "unlimited": "unlimited / illimité",
    "best": "best / meilleur",
    "number one": "number one / n°1",
    "cheapest": "cheapest / le moins cher",
    "fastest": "fastest / le plus rapide",
    "guaranteed": "guaranteed / garanti",
}
# A figure with a unit. Units are grouped so "2 Gb/s" in the e-mail matches "2 Gbit/s".
NUMBER = r"(\d{1,3}(?:[ .]\d{3})+|\d+)(?:[.,](\d+))?"
UNITS: dict[str, str] = {
    r"(?:€|eur|euros?)": "eur",
    r"(?:%|pour ?cent|percent)": "percent",
    r"(?:gbit/s|gb/s|gbps|giga)": "gbit",
    r"(?:mbit/s|mb/s|mbps)": "mbit",
    r"(?:go|gb|gigas?)": "gbyte",
    r"(?:mo|mb)": "mbyte",
    r"(?:mois|months?)": "month",
    r"(?:jours?|days?)": "day",
    r"(?:h|heures?|hours?)": "hour",
    r"(?:ans|years?)": "year",
}
FIGURE = re.compile(
    rf"(?<![\w.,])(?P<num>{NUMBER})\s?(?P<unit>{'|'.join(UNITS)})(?![a-z])",
)
PREFIX_EURO = re.compile(rf"€\s?(?P<num>{NUMBER})")


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    text: str


def _unit_of(raw: str) -> str:
    for pattern, unit in UNITS.items():
        if re.fullmatch(pattern, raw):
            return unit
    return raw


def _value(number: str) -> float:
    match = re.fullmatch(NUMBER, number.strip())
    if not match:
        return float("nan")
    whole = re.sub(r"[ .]", "", match.group(1))
    decimals = match.group(2) or ""
    return float(f"{whole}.{decimals}" if decimals else whole)


def figures_in(text: str) -> list[Figure]:
    """Every figure with a unit in `text` (normalised first)."""
    norm = normalise(text)
    found = [
        Figure(_value(m.group("num")), _unit_of(m.group("unit")), m.group(0).strip())
        for m in FIGURE.finditer(norm)
    ]
    found += [
        Figure(_value(m.group("num")), "eur", m.group(0).strip())
        for m in PREFIX_EURO.finditer(norm)
    ]
    return found


# --- legal mentions and unsubscribe -------------------------------------------------------
LEGAL_MENTION = re.compile(
    r"\b(rcs|siren|siret|registered (office|in|company)|company (registration )?(number|no)|"
    r"siege social|capital (social )?de|registre du commerce)\b"
)
UNSUBSCRIBE = re.compile(
    r"(unsubscribe|opt[- ]out|desinscri|desabonn|ne plus recevoir|stop receiving|"
    r"no longer receive|\{\{ ?unsubscribe_url ?\}\})"
)

# --- sensitive targeting -----------------------------------------------------------------
SENSITIVE_KEYS = re.compile(
    r"(vulnerab|health|sante|medical|illness|maladie|disab|handicap|religio|faith|"
    r"ethni|origin|race|racial|nationalit|sexual|sexuel|orientation|gender|genre|politic|"
    r"politique|union|syndica|pregnan|grossesse|bereave|deuil|deceased|deces|hardship|"
    r"precarit|debt|dette|overdue|impaye|income|revenu|benefit|allocation|welfare|"
    r"social_tariff|tarif_social|emotion|valence|anxiety|anxiet|sadness|tristesse|mood|"
    r"humeur|stress|(^|_)age(_|$)|birth|naissance|minor|mineur)"
)
SENSITIVE_VALUES = re.compile(
    r"\b(vulnerable|lumio essentiel|rsa|aah|ass|social tariff|tarif social|bereavement|deuil|"
    r"sadness|anxiety|anger|tristesse|anxiete|colere|hardship|illness|maladie|handicap)\b"
)
SENSITIVE_COPY = _compile(
    [
        r"\b(your|votre|vos) (health|sante|illness|maladie|disability|handicap|treatment|"
        r"traitement|diagnosis|diagnostic)\b",
        r"\b(your|votre) (religion|faith|foi|origin|origine|ethnicity|sexual orientation|"
        r"orientation sexuelle|political views|opinions politiques)\b",
        r"\b(your|votre|vos) (grief|loss|deuil|bereavement|perte)\b",
        r"\b(since|after|depuis|apres) (the|le) (death|deces|passing|loss)\b",
        r"\b(financial (difficulties|hardship|trouble)|difficultes financieres|your debts?|"
        r"vos dettes|fins de mois difficiles|struggling to pay|du mal a payer)\b",
        r"\b(unpaid|overdue) (bills?|invoices?)\b",
        r"\b(factures? impayees?|retards? de paiement)\b",
        r"\b(as|en tant que) (a )?(person with a disability|personne handicapee|"
        r"beneficiaire du rsa|benefits? claimant)\b",
    ]
)


# --- the code rules ----------------------------------------------------------------------
def _quote(pattern: re.Pattern[str], norm: str) -> str | None:
    match = pattern.search(norm)
    if match is None:
        return None
    if isinstance(norm, _Normalised) and match.end() > match.start():
        start, end = norm.positions[match.start()], norm.positions[match.end() - 1] + 1
        return norm.original[start:end].strip()
    return match.group(0).strip()


def _first(patterns: list[re.Pattern[str]], norm: str) -> str | None:
    for pattern in patterns:
        quote = _quote(pattern, norm)
        if quote:
            return quote
    return None


def _without_legal_lines(text: str) -> str:
    """The e-mail without its legal footer lines (registration numbers are not claims)."""
    return "\n".join(
        line for line in text.splitlines() if not LEGAL_MENTION.search(normalise(line))
    )


def _backed(figure: Figure, facts: list[Figure]) -> bool:
    return any(f.unit == figure.unit and abs(f.value - figure.value) < 0.005 for f in facts)


def _flag(rule: RuleId, detail: str) -> ComplianceFlag:
    return ComplianceFlag(rule=rule, detail=detail, source="rule")


def urgency_flags(norm: str, facts_norm: str) -> list[ComplianceFlag]:
    flags = []
    pressure = _first(PRESSURE, norm)
    if pressure:
        flags.append(_flag("false_urgency", f"pressure or scarcity wording: « {pressure} »"))
    deadline = _first(DEADLINE, norm)
    if deadline and not FACT_DEADLINE.search(facts_norm):
        flags.append(
            _flag(
                "false_urgency",
                f"deadline « {deadline} » that the offer's facts do not state",
            )
        )
    return flags


def guilt_flags(norm: str) -> list[ComplianceFlag]:
    quote = _first(GUILT_OR_FEAR, norm)
    return [_flag("guilt_or_fear", f"guilt, shame or fear appeal: « {quote} »")] if quote else []


def claim_flags(text: str, offer_facts: list[str]) -> list[ComplianceFlag]:
    facts_text = "\n".join(offer_facts)
    facts_norm = normalise(facts_text)
    fact_figures = figures_in(facts_text)
    body = _without_legal_lines(text)
    norm = normalised(body)
    flags: list[ComplianceFlag] = []
    unbacked = []
    for figure in figures_in(body):
        if not _backed(figure, fact_figures) and figure.text not in unbacked:
            unbacked.append(figure.text)
    if unbacked:
        shown = ", ".join(f"« {t} »" for t in unbacked[:5])
        flags.append(_flag("unbacked_claim", f"figures not in the offer's facts: {shown}"))
    for name, pattern in ABSOLUTE_CLAIMS.items():
        quote = _quote(pattern, norm)
        if quote and not pattern.search(facts_norm):
            flags.append(
                _flag(
                    "unbacked_claim",
                    f"claim « {quote} » ({CLAIM_LABELS[name]}) that the offer's facts do not make",
                )
            )
    return flags


def legal_flags(norm: str) -> list[ComplianceFlag]:
    flags = []
    if not LEGAL_MENTION.search(norm):
        flags.append(
            _flag(
                "missing_legal_mentions",
                "no identification of the sender company (legal name with RCS/SIREN number "
                "or registered office)",
            )
        )
    if not UNSUBSCRIBE.search(norm):
        flags.append(_flag("missing_unsubscribe", "no unsubscribe link or instruction"))
    return flags


def _filter_items(segment_filter: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for key, value in segment_filter.items():
        values = value if isinstance(value, list | tuple | set) else [value]
        for item in values:
            yield str(key), str(item)


def targeting_flags(norm: str, segment_filter: dict[str, Any]) -> list[ComplianceFlag]:
    flags = []
    for key, value in _filter_items(segment_filter):
        if SENSITIVE_KEYS.search(normalise(key)):
            flags.append(
                _flag("sensitive_targeting", f"the segment is selected on « {key} = {value} »")
            )
        elif SENSITIVE_VALUES.search(normalise(value)):
            flags.append(
                _flag(
                    "sensitive_targeting",
                    f"the segment value « {key} = {value} » reveals a sensitive attribute",
                )
            )
    quote = _first(SENSITIVE_COPY, norm)
    if quote:
        flags.append(
            _flag("sensitive_targeting", f"the copy points at a sensitive attribute: « {quote} »")
        )
    return flags


def code_flags(
    subject: str, body_text: str, offer_facts: list[str], segment_filter: dict[str, Any]
) -> list[ComplianceFlag]:
    """Every code rule, on subject and body together."""
    text = f"{subject}\n{body_text}"
    norm = normalised(text)
    facts_norm = normalise("\n".join(offer_facts))
    return [
        *urgency_flags(normalised(_without_legal_lines(text)), facts_norm),
        *guilt_flags(norm),
        *claim_flags(text, offer_facts),
        *legal_flags(norm),
        *targeting_flags(norm, segment_filter),
    ]


# --- the LLM review ----------------------------------------------------------------------
LLM_RULES = ("false_urgency", "guilt_or_fear", "unbacked_claim", "sensitive_targeting")
"""Rules the model may add. Presence rules (legal mentions, unsubscribe) are code only:
the tiny default model reports them missing when they are there."""


class ReviewIssue(BaseModel):
    """One problem the model sees, with the words of the e-mail that show it."""

    rule: Literal["false_urgency", "guilt_or_fear", "unbacked_claim", "sensitive_targeting"]
    quote: str = Field(max_length=200, description="Words copied exactly from the e-mail.")
    explanation: str = Field(max_length=200)


class ComplianceReview(BaseModel):
    """The model's review of a marketing e-mail (empty list when it sees no problem)."""

    issues: list[ReviewIssue] = Field(max_length=4)


def llm_flags(
    llm: LLMClient,
    subject: str,
    body_text: str,
    offer_facts: list[str],
    lang: Lang,
    *,
    max_tokens: int = 300,
) -> list[ComplianceFlag]:
    """The model's flags, kept only when their quote is really in the e-mail."""
    messages = prompts.load("marketing_compliance").render(
        lang, subject=subject, body=body_text, facts="\n".join(offer_facts) or "-"
    )
    review = llm.structured(messages, ComplianceReview, max_tokens=max_tokens)
    norm = normalise(f"{subject}\n{body_text}")
    kept: list[ComplianceFlag] = []
    for issue in review.issues:
        quote = normalise(issue.quote).strip()
        if len(quote) < 4 or quote not in norm:
            continue
        detail = f"« {issue.quote.strip()} »: {issue.explanation.strip()}"
        if not any(f.rule == issue.rule and f.detail == detail for f in kept):
            kept.append(ComplianceFlag(rule=issue.rule, detail=detail, source="llm"))
    return kept


def check_email(
    subject: str,
    body_text: str,
    *,
    offer_facts: list[str],
    segment_filter: dict[str, Any],
    lang: Lang,
    llm: LLMClient | None = None,
) -> list[ComplianceFlag]:
    """Every compliance flag of one e-mail: code rules always, the LLM review when `llm`
    is given. A failed model call is logged and leaves the code-rule flags as they are."""
    flags = code_flags(subject, body_text, offer_facts, segment_filter)
    if llm is None:
        return flags
    try:
        flags += llm_flags(llm, subject, body_text, offer_facts, lang)
    except LLMError as exc:
        log.warning("LLM compliance review failed, code rules only: %s", exc)
    return flags


def not_overridable(flags: Iterable[ComplianceFlag]) -> list[str]:
    """The rules of `flags` that no override reason lifts (found by the code rules, which
    read the sender identification and the unsubscribe line as they are written)."""
    return sorted({f.rule for f in flags if f.rule in NOT_OVERRIDABLE and f.source == "rule"})


def rules_hit(flags: Iterable[ComplianceFlag]) -> list[str]:
    """The distinct rule ids among `flags`, in `RULE_IDS` order."""
    seen = {f.rule for f in flags}
    return [rule for rule in RULE_IDS if rule in seen]
