"""The marketing service: what the UI and the command line call.

`draft(brief)` runs a campaign until its variants wait for a reviewer; `decide` applies a
decision; `export` writes the approved e-mail for the segment as it is at export time;
`campaigns` and `campaign` read the records. Callers never touch the graph: a campaign's
thread is keyed by its id, so any worker holding the same databases can resume it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agents.marketing.compliance import ComplianceFlag, code_flags, not_overridable, rules_hit
from agents.marketing.export import ExportReport, write_export
from agents.marketing.graph import MarketingDeps, build_marketing_graph
from agents.marketing.schemas import (
    ApprovalOutcome,
    Brief,
    CampaignDecision,
    CampaignStatus,
    EmailVariant,
    Notice,
    ReviewRequest,
    SegmentInsight,
    VariantFailure,
)
from tools.crm.audience import AudienceReader
from tools.crm.campaigns import CampaignRecords, CampaignView
from tools.crm.database import new_id

STATE_TYPES: dict[str, tuple[str, ...]] = {
    "agents.marketing.schemas": (
        "Brief",
        "EmotionShare",
        "IrritantCount",
        "SegmentInsight",
        "EmailVariant",
        "VariantFailure",
        "CampaignDecision",
        "Notice",
        "Override",
        "ApprovalOutcome",
    ),
    "agents.marketing.compliance": ("ComplianceFlag",),
}
"""The types a marketing checkpoint may hold (nothing else is deserialised)."""


class MarketingError(Exception):
    """A request the marketing service refuses; the message says why and what to do."""


class NothingPendingError(MarketingError, LookupError):
    """A decision was sent for a campaign that is not waiting for one."""


class OverrideRequiredError(MarketingError):
    """A flagged variant was approved without an override reason."""


class LegalPartsMissingError(MarketingError):
    """The e-mail lacks a legally required part (sender identification, unsubscribe):
    no override reason lifts that, the text must be fixed."""

    def __init__(self, variant_id: str, rules: list[str]) -> None:
        self.variant_id = variant_id
        self.rules = rules
        super().__init__(
            f"{variant_id} lacks {', '.join(rules)}: put the legal footer back "
            "(sender identification and unsubscribe line); no override reason lifts this"
        )


class NotApprovedError(MarketingError):
    """Export was asked for a campaign no reviewer approved."""


@dataclass(frozen=True)
class DraftResult:
    """Where a campaign stands after `draft` or `decide`."""

    campaign_id: str
    status: CampaignStatus
    insight: SegmentInsight | None
    variants: list[EmailVariant] = field(default_factory=list)
    failures: list[VariantFailure] = field(default_factory=list)
    notice: Notice | None = None
    round: int = 1
    outcome: ApprovalOutcome | None = None

    @property
    def flags(self) -> dict[str, list[str]]:
        """Rules flagged per variant id."""
        return {v.variant_id: rules_hit(v.flags) for v in self.variants}


class MarketingService:
    def __init__(
        self,
        deps: MarketingDeps,
        checkpointer: BaseCheckpointSaver[Any],
        records: CampaignRecords,
        audiences: AudienceReader,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.deps = deps
        self.graph = build_marketing_graph(checkpointer)
        self.records = records
        self.audiences = audiences
        self._on_close = on_close

    @staticmethod
    def _config(campaign_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": f"campaign:{campaign_id}"}}

    # --- drafting and decisions ------------------------------------------------------------
    def _run(
        self, value: Any, campaign_id: str, on_variant: Callable[[int, int], None] | None
    ) -> None:
        """Runs the graph; `on_variant(done, total)` follows the variants as they come."""
        if on_variant is None:
            self.graph.invoke(value, config=self._config(campaign_id), context=self.deps)
            return
        for event in self.graph.stream(
            value, config=self._config(campaign_id), context=self.deps, stream_mode="custom"
        ):
            if isinstance(event, dict) and "variants_done" in event:
                on_variant(int(event["variants_done"]), int(event["variants_total"]))

    def draft(
        self, brief: Brief, *, on_variant: Callable[[int, int], None] | None = None
    ) -> DraftResult:
        """Create a campaign and draft its variants, up to the reviewer's decision;
        `on_variant(done, total)` is called as each variant is drafted (or given up)."""
        campaign_id = new_id("CP")
        self.records.create(
            campaign_id,
            name=brief.name,
            language=brief.lang,
            target_emotion=brief.target_emotion,
            brief=brief.model_dump(mode="json"),
            created_by=brief.requested_by,
        )
        try:
            self._run({"campaign_id": campaign_id, "brief": brief}, campaign_id, on_variant)
        except Exception:
            self.records.update(campaign_id, status="failed")
            raise
        return self._result(campaign_id)

    def pending(self, campaign_id: str) -> ReviewRequest | None:
        """The review waiting for a decision, if any."""
        snapshot = self.graph.get_state(self._config(campaign_id))
        for task in snapshot.tasks:
            for pending in task.interrupts:
                return ReviewRequest.model_validate(pending.value)
        return None

    def edit_flags(self, campaign_id: str, subject: str, body_text: str) -> list[ComplianceFlag]:
        """The compliance flags of an edited variant, as an approval would find them (the
        studio lists them live while the text is edited)."""
        brief = Brief.model_validate(self.records.get(campaign_id).brief)
        facts = self.graph.get_state(self._config(campaign_id)).values.get("facts", [])
        return code_flags(subject, body_text, facts, brief.segment)

    def decide(
        self,
        campaign_id: str,
        decision: CampaignDecision,
        *,
        on_variant: Callable[[int, int], None] | None = None,
    ) -> DraftResult:
        """Apply a reviewer's decision. A flagged variant needs `override_reason`; one
        without its sender identification or unsubscribe line is refused whatever the
        reason (`LegalPartsMissingError`). `on_variant` follows another round's drafts."""
        request = self.pending(campaign_id)
        if request is None:
            raise NothingPendingError(f"campaign {campaign_id} is not waiting for a decision")
        if decision.action in ("approve", "edit"):
            chosen = next(
                (v for v in request.variants if v.variant_id == decision.variant_id), None
            )
            if chosen is None:
                known = ", ".join(v.variant_id for v in request.variants) or "none"
                raise MarketingError(f"unknown variant {decision.variant_id!r} (variants: {known})")
            flags = chosen.flags
            if decision.action == "edit":
                flags = self.edit_flags(
                    campaign_id,
                    decision.subject or chosen.subject,
                    decision.body_text or chosen.body_text,
                )
            required = not_overridable(flags)
            if required:
                raise LegalPartsMissingError(chosen.variant_id, required)
            rules = rules_hit(flags)
            if rules and not decision.override_reason:
                raise OverrideRequiredError(
                    f"{chosen.variant_id} has compliance flags ({', '.join(rules)}); approving "
                    "it needs an override reason, which is recorded with your name and the time"
                )
        self._run(Command(resume=decision.model_dump(mode="json")), campaign_id, on_variant)
        return self._result(campaign_id)

    def _result(self, campaign_id: str) -> DraftResult:
        values = self.graph.get_state(self._config(campaign_id)).values
        request = self.pending(campaign_id)
        outcome: ApprovalOutcome | None = values.get("outcome")
        if request is not None:
            self.records.update(
                campaign_id,
                status="awaiting_approval",
                insight=request.insight.model_dump(mode="json"),
            )
            return DraftResult(
                campaign_id=campaign_id,
                status="awaiting_approval",
                insight=request.insight,
                variants=request.variants,
                failures=request.failures,
                notice=request.notice,
                round=request.round,
            )
        status: CampaignStatus = self.records.get(campaign_id).status  # type: ignore[assignment]
        return DraftResult(
            campaign_id=campaign_id,
            status=status,
            insight=values.get("insight"),
            variants=values.get("variants", []),
            failures=values.get("failures", []),
            round=values.get("round", 1),
            outcome=outcome,
        )

    # --- export and records ----------------------------------------------------------------
    def export(
        self, campaign_id: str, folder: Path, *, on_email: Callable[[], None] = lambda: None
    ) -> ExportReport:
        """Write the approved e-mail for every recipient of the segment as it is NOW
        (consent withdrawn since drafting is respected), and record those recipients."""
        campaign = self.records.get(campaign_id)
        if campaign.status not in ("approved", "exported") or not campaign.approved_variant_id:
            raise NotApprovedError(
                f"campaign {campaign_id} is {campaign.status}: only an approved campaign is "
                "exported (approve a variant first)"
            )
        approved = next(
            v for v in reversed(campaign.variants) if v.variant_id == campaign.approved_variant_id
        )
        audience = self.audiences.audience(campaign.brief.get("segment") or {})
        settings = self.deps.settings
        report = write_export(
            campaign,
            approved,
            audience.recipients,
            folder,
            sender=settings.marketing_sender,
            unsubscribe_base=settings.marketing_unsubscribe_url,
            clock=self.deps.clock,
            excluded_no_consent=audience.excluded_no_consent,
            excluded_vulnerable=audience.excluded_vulnerable,
            on_email=on_email,
        )
        self.records.record_recipients(
            campaign_id,
            approved.variant_id,
            [(r.customer_id, r.email) for r in audience.recipients],
        )
        self.records.update(campaign_id, status="exported")
        return report

    def campaigns(self, limit: int = 50) -> list[CampaignView]:
        """Campaigns, newest first."""
        return self.records.list(limit)

    def campaign(self, campaign_id: str) -> CampaignView:
        """One campaign with its variants, decisions and recipient count."""
        return self.records.get(campaign_id)

    def close(self) -> None:
        self._on_close()
