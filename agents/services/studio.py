"""What the marketing studio tab needs around `MarketingService`: a brief from the form's
fields, and an export packed into one zip file to download. No prompt, no model call."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from agents.marketing.schemas import Brief
from agents.marketing.service import MarketingService

SEGMENT_FIELDS = ("segment", "language", "city", "contract_kind")
"""The segment filter fields the studio form offers (the brief accepts a few more)."""


def segment_filter(**fields: str | None) -> dict[str, Any]:
    """A segment filter from the form: empty fields are left out; a comma-separated field
    becomes a list (`Paris, Lyon` → either city)."""
    chosen: dict[str, Any] = {}
    for name, raw in fields.items():
        if name not in SEGMENT_FIELDS:
            raise ValueError(f"unknown segment field {name!r}")
        values = [v.strip() for v in (raw or "").split(",") if v.strip()]
        if values:
            chosen[name] = values[0] if len(values) == 1 else values
    return chosen


def brief_from_form(
    *,
    name: str,
    goal: str,
    offer: str,
    offer_facts: str,
    segment: dict[str, Any],
    target_emotion: str,
    lang: str,
    tone: str,
    variants: int,
    requested_by: str,
) -> Brief:
    """The brief as the service takes it; raises pydantic's ValidationError on bad input."""
    return Brief.model_validate(
        {
            "name": name.strip() or goal.strip()[:80],
            "goal": goal.strip(),
            "offer": offer.strip(),
            "offer_facts": [line.strip() for line in offer_facts.splitlines() if line.strip()],
            "segment": segment,
            "target_emotion": target_emotion,
            "lang": lang,
            "tone": [line.strip() for line in tone.splitlines() if line.strip()],
            "variants": int(variants),
            "requested_by": requested_by,
        }
    )


def export_zip(service: MarketingService, campaign_id: str, root: Path) -> tuple[Path, int]:
    """Export an approved campaign (the service writes `root/<id>/`) and zip that folder;
    returns the zip and the number of e-mails written. A new export replaces the last one."""
    if (root / campaign_id).exists():
        shutil.rmtree(root / campaign_id)
    report = service.export(campaign_id, root)
    archive = shutil.make_archive(str(report.folder), "zip", root_dir=report.folder)
    return Path(archive), len(report.emails)
