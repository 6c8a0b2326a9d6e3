"""Campaign records: the audit trail of the marketing studio in the CRM store.

A campaign row holds the brief and the insight; variant rows hold every drafted e-mail
(and the edited one that was approved); approval rows hold each reviewer decision with
any compliance override (who, when, why, which rules); recipient rows are the segment as
it was at export time. Nothing here is customer-scoped: campaigns belong to the company.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from tools.crm.errors import CRMError
from tools.crm.models import Campaign, CampaignApproval, CampaignRecipient, CampaignVariant
from tools.crm.store import CRMStore


class CampaignNotFoundError(CRMError, LookupError):
    """No campaign has this id."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class CampaignVariantView(_View):
    variant_id: str
    round: int
    subject: str
    preheader: str
    body_text: str
    body_html: str
    call_to_action: str
    emotion: str
    rationale: str
    flags: list[dict[str, Any]]
    created_at: datetime


class CampaignApprovalView(_View):
    action: str
    variant_id: str | None
    reviewer: str
    instruction: str | None
    override_reason: str | None
    overridden_rules: list[str]
    diff: str
    created_at: datetime


class CampaignView(_View):
    id: str
    name: str
    language: str
    target_emotion: str
    brief: dict[str, Any]
    insight: dict[str, Any]
    status: str
    approved_variant_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    variants: list[CampaignVariantView] = []
    approvals: list[CampaignApprovalView] = []
    recipients: int = 0


class CampaignRecords:
    """Writes and reads of campaign records (clock from the store)."""

    def __init__(self, store: CRMStore) -> None:
        self.store = store

    def create(
        self,
        campaign_id: str,
        *,
        name: str,
        language: str,
        target_emotion: str,
        brief: dict[str, Any],
        created_by: str,
    ) -> None:
        now = self.store.clock()
        with self.store.transaction() as session:
            session.add(
                Campaign(
                    id=campaign_id,
                    name=name,
                    language=language,
                    target_emotion=target_emotion,
                    brief=brief,
                    insight={},
                    status="drafting",
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                )
            )

    def update(
        self,
        campaign_id: str,
        *,
        status: str,
        insight: dict[str, Any] | None = None,
        approved_variant_id: str | None = None,
    ) -> None:
        with self.store.transaction() as session:
            row = session.get(Campaign, campaign_id)
            if row is None:
                raise CampaignNotFoundError(f"no campaign {campaign_id!r}")
            row.status = status
            row.updated_at = self.store.clock()
            if insight is not None:
                row.insight = insight
            if approved_variant_id is not None:
                row.approved_variant_id = approved_variant_id

    def add_variants(self, campaign_id: str, variants: Sequence[dict[str, Any]]) -> None:
        """Store variants (dicts with the `CampaignVariant` fields but the ids)."""
        now = self.store.clock()
        with self.store.transaction() as session:
            session.add_all(
                CampaignVariant(campaign_id=campaign_id, created_at=now, **v) for v in variants
            )

    def record_approval(
        self,
        campaign_id: str,
        *,
        action: str,
        reviewer: str,
        at: datetime,
        variant_id: str | None = None,
        instruction: str | None = None,
        override_reason: str | None = None,
        overridden_rules: Sequence[str] = (),
        diff: str = "",
    ) -> None:
        with self.store.transaction() as session:
            session.add(
                CampaignApproval(
                    campaign_id=campaign_id,
                    action=action,
                    variant_id=variant_id,
                    reviewer=reviewer,
                    instruction=instruction,
                    override_reason=override_reason,
                    overridden_rules=list(overridden_rules),
                    diff=diff,
                    created_at=at,
                )
            )

    def record_recipients(
        self, campaign_id: str, variant_id: str, recipients: Sequence[tuple[str, str]]
    ) -> None:
        """The segment at export: `(customer_id, email)` pairs the e-mail was prepared for."""
        now = self.store.clock()
        with self.store.transaction() as session:
            session.add_all(
                CampaignRecipient(
                    campaign_id=campaign_id,
                    customer_id=customer_id,
                    email=email,
                    variant_id=variant_id,
                    exported_at=now,
                )
                for customer_id, email in recipients
            )

    def get(self, campaign_id: str) -> CampaignView:
        with self.store.reading() as session:
            row = session.get(Campaign, campaign_id)
            if row is None:
                raise CampaignNotFoundError(f"no campaign {campaign_id!r}")
            variants = session.scalars(
                select(CampaignVariant)
                .where(CampaignVariant.campaign_id == campaign_id)
                .order_by(CampaignVariant.id)
            )
            approvals = session.scalars(
                select(CampaignApproval)
                .where(CampaignApproval.campaign_id == campaign_id)
                .order_by(CampaignApproval.id)
            )
            recipients = session.scalar(
                select(func.count(CampaignRecipient.id)).where(
                    CampaignRecipient.campaign_id == campaign_id
                )
            )
            base = CampaignView.model_validate(row)
            return base.model_copy(
                update={
                    "variants": [CampaignVariantView.model_validate(v) for v in variants],
                    "approvals": [CampaignApprovalView.model_validate(a) for a in approvals],
                    "recipients": int(recipients or 0),
                }
            )

    def recipient_ids(self, campaign_id: str) -> list[str]:
        with self.store.reading() as session:
            return list(
                session.scalars(
                    select(CampaignRecipient.customer_id)
                    .where(CampaignRecipient.campaign_id == campaign_id)
                    .order_by(CampaignRecipient.id)
                )
            )

    def list(self, limit: int = 50) -> list[CampaignView]:
        """Campaigns, newest first (without their variants)."""
        with self.store.reading() as session:
            rows = session.scalars(
                select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id).limit(limit)
            )
            return [CampaignView.model_validate(r) for r in rows]
