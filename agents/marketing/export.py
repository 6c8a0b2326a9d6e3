"""Export of an approved campaign: one `.eml` per recipient, one HTML preview per variant,
and a manifest. Built with Python's `email` package (multipart/alternative, text and
HTML), with `List-Unsubscribe` headers (RFC 2369, one-click per RFC 8058)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlencode

from agents.core.lang import Lang
from agents.marketing import render
from tools.crm.audience import Recipient
from tools.crm.campaigns import CampaignVariantView, CampaignView


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, and for whom."""

    campaign_id: str
    folder: Path
    variant_id: str
    emails: list[Path]
    previews: list[Path]
    manifest: Path
    excluded_no_consent: int
    excluded_vulnerable: int


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80] or "_"


def unsubscribe_url(base: str, campaign_id: str, customer_id: str) -> str:
    """The recipient's unsubscribe link. The token identifies campaign and recipient
    without showing the customer id; a production sender would sign it with a secret."""
    token = hashlib.sha256(f"{campaign_id}:{customer_id}".encode()).hexdigest()[:24]
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'c': campaign_id, 't': token})}"


def merge_values(
    recipient: Recipient | None, campaign: CampaignView, unsubscribe_base: str
) -> dict[str, str | None]:
    brief = campaign.brief
    return {
        "first_name": recipient.first_name if recipient else None,
        "last_name": recipient.last_name if recipient else None,
        "city": recipient.city if recipient else None,
        "offer_name": str(brief.get("offer") or ""),
        "cta_url": str(brief.get("cta_url") or ""),
        "unsubscribe_url": unsubscribe_url(
            unsubscribe_base, campaign.id, recipient.customer_id if recipient else "preview"
        ),
    }


def build_email(
    variant: CampaignVariantView,
    recipient: Recipient,
    campaign: CampaignView,
    *,
    sender: str,
    unsubscribe_base: str,
    now: datetime,
) -> EmailMessage:
    lang: Lang = "en" if campaign.language == "en" else "fr"
    values = merge_values(recipient, campaign, unsubscribe_base)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(
        display_name=f"{recipient.first_name} {recipient.last_name}".strip(),
        addr_spec=recipient.email,
    )
    message["Subject"] = render.render(variant.subject, values, lang)
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].partition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Ressenti-Campaign"] = campaign.id
    message["X-Ressenti-Variant"] = variant.variant_id
    message.set_content(render.render(variant.body_text, values, lang))
    message.add_alternative(
        render.render(variant.body_html, values, lang, as_html=True), subtype="html"
    )
    return message


def write_export(
    campaign: CampaignView,
    approved: CampaignVariantView,
    recipients: Sequence[Recipient],
    folder: Path,
    *,
    sender: str,
    unsubscribe_base: str,
    clock: Callable[[], datetime],
    excluded_no_consent: int,
    excluded_vulnerable: int,
    on_email: Callable[[], None] = lambda: None,
) -> ExportReport:
    """Write the campaign's files under `folder/<campaign id>/`."""
    root = folder / safe_name(campaign.id)
    (root / "eml").mkdir(parents=True, exist_ok=True)
    (root / "preview").mkdir(parents=True, exist_ok=True)
    lang: Lang = "en" if campaign.language == "en" else "fr"
    now = clock()
    emails = []
    for recipient in recipients:
        message = build_email(
            approved, recipient, campaign, sender=sender, unsubscribe_base=unsubscribe_base, now=now
        )
        path = root / "eml" / f"{safe_name(recipient.customer_id)}.eml"
        path.write_bytes(bytes(message))
        emails.append(path)
        on_email()
    sample = recipients[0] if recipients else None
    previews = []
    for variant in campaign.variants:
        values = merge_values(sample, campaign, unsubscribe_base)
        path = root / "preview" / f"{safe_name(variant.variant_id)}.html"
        path.write_text(render.render(variant.body_html, values, lang, as_html=True), "utf-8")
        previews.append(path)
    approval = next(
        (
            a
            for a in reversed(campaign.approvals)
            if a.variant_id == approved.variant_id and a.action in ("approve", "edit")
        ),
        None,
    )
    overridden = (
        [
            {
                "rule": rule,
                "reason": approval.override_reason,
                "reviewer": approval.reviewer,
                "at": approval.created_at.isoformat(),
            }
            for rule in approval.overridden_rules
        ]
        if approval is not None and approval.override_reason
        else []
    )
    manifest = root / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "campaign_id": campaign.id,
                "name": campaign.name,
                "language": campaign.language,
                "approved_variant": approved.variant_id,
                "approved_by": approval.reviewer if approval else None,
                "subject": approved.subject,
                "flags": approved.flags,
                "overridden": overridden,
                "exported_at": now.isoformat(),
                "recipients": len(emails),
                "excluded_no_consent": excluded_no_consent,
                "excluded_vulnerable": excluded_vulnerable,
                "emails": [p.name for p in emails],
                "previews": [p.name for p in previews],
            },
            ensure_ascii=False,
            indent=2,
        ),
        "utf-8",
    )
    return ExportReport(
        campaign_id=campaign.id,
        folder=root,
        variant_id=approved.variant_id,
        emails=emails,
        previews=previews,
        manifest=manifest,
        excluded_no_consent=excluded_no_consent,
        excluded_vulnerable=excluded_vulnerable,
    )
