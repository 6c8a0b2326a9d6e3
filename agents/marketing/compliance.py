"""Compliance check of a marketing e-mail — a minimal stand-in with keyword rules.

This module only fixes the interface the evaluation suite calls (`RULE_IDS`,
`ComplianceFlag`, `check_email`); the marketing studio provides the real check. The rules
here are plain French/English keyword patterns, enough to exercise the suite.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

from agents.llm.client import LLMClient

RULE_IDS: tuple[str, ...] = (
    "false_urgency",
    "guilt_or_fear",
    "unbacked_claim",
    "missing_legal_mentions",
    "missing_unsubscribe",
    "sensitive_targeting",
)


class ComplianceFlag(BaseModel):
    """One rule a marketing e-mail breaks."""

    rule: str
    detail: str
    source: Literal["rule", "llm"]


URGENCY = re.compile(
    r"derni[èe]res? (heures?|chance)|plus que \d+|expire (ce soir|aujourd)"
    r"|dans \d+ (minutes|heures)"
    r"|maintenant ou jamais|last chance|only \d+ left|ends (tonight|today)|expires? (tonight|today)"
    r"|in the next \d+ (minutes|hours)|now or never|act now|d[ée]p[êe]chez-vous|hurry",
    re.I,
)
GUILT = re.compile(
    r"vous (le )?regretterez|ne laissez pas (tomber )?votre famille|mauvais parent|honte"
    r"|vos proches (seront|risquent)|you('ll| will) regret|let your family down|bad parent"
    r"|ashamed|your loved ones (will|are at risk)|vous serez (coupé|seul)"
    r"|you('ll| will) be (cut off|left)",
    re.I,
)
SUPERLATIVE = re.compile(
    r"(le|la) (meilleure?|plus rapide|moins cher)|n°\s?1|numéro un|the (best|fastest|cheapest)"
    r"|number one|#1|\d+\s?%|\d+\s?(gb/s|gbit/s|go|gb|mo/s|mb/s|€)",
    re.I,
)
LEGAL = re.compile(
    r"voir conditions|offre soumise à conditions|conditions sur|mentions légales"
    r"|terms (and conditions )?apply|see terms|subject to conditions|t&cs",
    re.I,
)
UNSUBSCRIBE = re.compile(r"d[ée]sinscri|d[ée]sabonn|unsubscribe|opt out|opt-out", re.I)
SENSITIVE_KEYS = {
    "health",
    "santé",
    "religion",
    "ethnicity",
    "origine",
    "politics",
    "opinion_politique",
    "sexual_orientation",
    "orientation",
    "vulnerable",
    "bereavement",
    "deuil",
    "debt",
    "dette",
}


def _backed(claim: str, offer_facts: list[str]) -> bool:
    facts = " ".join(offer_facts).casefold()
    return claim.casefold().strip() in facts


def check_email(
    subject: str,
    body_text: str,
    *,
    offer_facts: list[str],
    segment_filter: dict[str, Any],
    lang: Literal["fr", "en"],
    llm: LLMClient | None = None,
) -> list[ComplianceFlag]:
    """Rules the e-mail breaks (keyword rules only in this stand-in; `llm` is unused)."""
    text = f"{subject}\n{body_text}"
    flags: list[ComplianceFlag] = []
    if match := URGENCY.search(text):
        flags.append(ComplianceFlag(rule="false_urgency", detail=match.group(0), source="rule"))
    if match := GUILT.search(text):
        flags.append(ComplianceFlag(rule="guilt_or_fear", detail=match.group(0), source="rule"))
    for match in SUPERLATIVE.finditer(text):
        if not _backed(match.group(0), offer_facts):
            flags.append(
                ComplianceFlag(rule="unbacked_claim", detail=match.group(0), source="rule")
            )
            break
    if not LEGAL.search(text):
        flags.append(
            ComplianceFlag(rule="missing_legal_mentions", detail="no legal mention", source="rule")
        )
    if not UNSUBSCRIBE.search(text):
        flags.append(
            ComplianceFlag(rule="missing_unsubscribe", detail="no unsubscribe link", source="rule")
        )
    sensitive = sorted(key for key in segment_filter if key.casefold() in SENSITIVE_KEYS)
    if sensitive:
        flags.append(
            ComplianceFlag(rule="sensitive_targeting", detail=", ".join(sensitive), source="rule")
        )
    return flags
