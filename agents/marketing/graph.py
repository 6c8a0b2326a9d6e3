"""The marketing draft as a LangGraph graph: one thread per campaign.

    load_insight → gather_facts → draft_variants → check_compliance → approve
    approve: approve / edit / reject → record → END
             another round → draft_variants (bounded by `marketing_max_rounds`)
             refused decision (unknown variant, flags without override) → approve again

The insight and every decision rule are code; the model only writes variants (typed
`VariantProposal`s) and, optionally, reviews them (it can add compliance flags, never
remove one). `approve` raises `interrupt()`; the only side effects (variants, decisions
and status in the campaign record) are in `record`, after the decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

import prompts
from agents.core.config import Settings
from agents.core.diff import edit_diff
from agents.core.lang import Lang
from agents.llm.client import LLMClient, LLMError
from agents.marketing import render
from agents.marketing.compliance import check_email, code_flags, not_overridable, rules_hit
from agents.marketing.insight import insight_text, segment_insight
from agents.marketing.schemas import (
    ApprovalOutcome,
    Brief,
    CampaignDecision,
    EmailVariant,
    Notice,
    Override,
    ReviewRequest,
    SegmentInsight,
    VariantFailure,
    VariantProposal,
)
from tools.crm.audience import Audience, ConversationMood
from tools.kb.search import KnowledgeSearch


# --- ports -------------------------------------------------------------------------------
class AudienceSource(Protocol):
    def audience(self, segment_filter: dict[str, Any]) -> Audience: ...

    def recent_conversations(
        self, customer_ids: list[str], since: datetime
    ) -> list[ConversationMood]: ...


class CampaignWriter(Protocol):
    def add_variants(self, campaign_id: str, variants: list[dict[str, Any]]) -> None: ...

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
        overridden_rules: list[str] = ...,
        diff: str = "",
    ) -> None: ...

    def update(
        self,
        campaign_id: str,
        *,
        status: str,
        insight: dict[str, Any] | None = None,
        approved_variant_id: str | None = None,
    ) -> None: ...


@dataclass
class MarketingDeps:
    """Everything the nodes use, injected per run (LangGraph runtime context)."""

    settings: Settings
    llm: LLMClient
    audiences: AudienceSource
    knowledge: KnowledgeSearch
    records: CampaignWriter
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class MarketingInput(TypedDict):
    campaign_id: str
    brief: Brief


class MarketingState(MarketingInput, total=False):
    insight: SegmentInsight
    facts: list[str]
    """The offer's facts: the brief's own, then the knowledge base's offer passages."""
    brand_voice: str
    round: int
    """The drafting round (1 for the first)."""
    instruction: str
    """What the reviewer asked the next round to change."""
    variants: list[EmailVariant]
    """The current round's variants."""
    drafted: list[EmailVariant]
    """Every variant of every round (recorded at the end)."""
    failures: list[VariantFailure]
    notice: Notice | None
    decisions: list[CampaignDecision]
    """Every decision of the reviewer, in order (recorded at the end)."""
    outcome: ApprovalOutcome | None


class MarketingOutput(TypedDict, total=False):
    insight: SegmentInsight
    variants: list[EmailVariant]
    failures: list[VariantFailure]
    outcome: ApprovalOutcome | None


Deps = Runtime[MarketingDeps]


def _deps(runtime: Deps) -> MarketingDeps:
    assert runtime.context is not None, "the marketing graph runs with injected MarketingDeps"
    return runtime.context


# --- nodes -------------------------------------------------------------------------------
def load_insight(state: MarketingState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    brief = state["brief"]
    audience = deps.audiences.audience(brief.segment)
    since = deps.clock() - timedelta(days=deps.settings.marketing_insight_days)
    moods = deps.audiences.recent_conversations([r.customer_id for r in audience.recipients], since)
    insight = segment_insight(audience, moods, brief.lang, brief.target_emotion)
    return {
        "insight": insight,
        "round": 1,
        "instruction": "",
        "variants": [],
        "drafted": [],
        "failures": [],
        "notice": None,
        "decisions": [],
        "outcome": None,
    }


def _fact_lines(text: str) -> list[str]:
    lines = []
    for raw in text.splitlines():
        line = raw.strip().strip("|").strip()
        if not line or re.fullmatch(r"[-|: ]+", line) or line.startswith("#"):
            continue
        lines.append(re.sub(r"\s*\|\s*", " | ", line))
    return lines


def gather_facts(state: MarketingState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    brief = state["brief"]
    facts = list(brief.offer_facts)
    offers = deps.knowledge.search(brief.offer, k=3)
    for passage in offers.passages:
        if (
            passage.score >= offers.min_score
            and passage.doc_id != deps.settings.marketing_brand_voice_doc
        ):
            facts += [line for line in _fact_lines(passage.text) if line not in facts]
    voice = deps.knowledge.search("brand voice tone marketing words we avoid", k=5)
    brand_voice = "\n".join(
        p.text for p in voice.passages if p.doc_id == deps.settings.marketing_brand_voice_doc
    )
    return {"facts": facts[:25], "brand_voice": brand_voice[:1500]}


def problems_of(proposal: VariantProposal) -> list[str]:
    """What makes a proposal unusable (checked in code, the model is asked again once)."""
    problems = []
    if len(proposal.subject.strip()) < 3:
        problems.append("the subject is empty")
    if len(proposal.body.strip()) < 40:
        problems.append("the body is too short")
    if len(proposal.call_to_action.strip()) < 2:
        problems.append("the call to action is empty")
    texts = (proposal.subject, proposal.preheader, proposal.body, proposal.call_to_action)
    unknown = sorted({name for t in texts for name in render.unknown_fields(t)})
    if unknown:
        problems.append(f"unknown merge field(s) {unknown}")
    elif any(render.stray_braces(t) for t in texts):
        problems.append("braces outside a merge field")
    return problems


def _variant(proposal: VariantProposal, variant_id: str, round_: int, lang: Lang) -> EmailVariant:
    return EmailVariant(
        variant_id=variant_id,
        round=round_,
        subject=proposal.subject.strip(),
        preheader=proposal.preheader.strip(),
        body_text=render.body_text(proposal.body, proposal.call_to_action, lang),
        body_html=render.body_html(
            proposal.body, proposal.preheader, proposal.call_to_action, proposal.subject, lang
        ),
        call_to_action=proposal.call_to_action.strip(),
        emotion=proposal.emotion,
        rationale=proposal.rationale.strip(),
    )


def draft_variants(state: MarketingState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    brief = state["brief"]
    lang = brief.lang
    guidance = prompts.snippets("marketing_emotions")[lang]
    template = prompts.load("marketing_variant")
    first_number = len(state["drafted"]) + 1
    variants: list[EmailVariant] = []
    failures: list[VariantFailure] = []
    for index in range(1, brief.variants + 1):
        base = {
            "goal": brief.goal,
            "offer": brief.offer,
            "facts": "\n".join(state["facts"]) or "-",
            "brand_voice": state["brand_voice"] or "-",
            "insight": insight_text(state["insight"], lang),
            "emotion": brief.target_emotion,
            "emotion_guidance": guidance[brief.target_emotion],
            "tone": "; ".join(brief.tone) or "-",
            "angle": guidance[f"angle_{(index - 1) % 5 + 1}"],
        }
        problem = ""
        proposal: VariantProposal | None = None
        for attempt in range(2):  # one retry for an unusable variant
            instruction = state["instruction"]
            if attempt:
                instruction = f"{instruction}\n{guidance['fix_prefix']}{problem}".strip()
            messages = template.render(lang, **base, instruction=instruction or "-")
            try:
                proposal = deps.llm.structured(
                    messages, VariantProposal, max_tokens=deps.settings.marketing_variant_max_tokens
                )
            except LLMError as exc:
                problem = exc.user_message
                proposal = None
                break  # the boundary already asked again for an invalid answer
            problems = problems_of(proposal)
            if not problems:
                break
            problem = "; ".join(problems)
            proposal = None
        if proposal is None:
            failures.append(VariantFailure(index=index, problem=problem))
        else:
            number = first_number + len(variants)
            variants.append(_variant(proposal, f"V{number}", state["round"], lang))
        # Progress as variants come (read by `MarketingService` when it streams).
        runtime.stream_writer(
            {"variants_done": index, "variants_total": brief.variants, "usable": len(variants)}
        )
    return {"variants": variants, "failures": failures, "notice": None}


def check_compliance(state: MarketingState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    brief = state["brief"]
    llm = deps.llm if deps.settings.marketing_llm_compliance else None
    checked = [
        v.model_copy(
            update={
                "flags": check_email(
                    v.subject,
                    v.body_text,
                    offer_facts=state["facts"],
                    segment_filter=brief.segment,
                    lang=brief.lang,
                    llm=llm,
                )
            }
        )
        for v in state["variants"]
    ]
    return {"variants": checked, "drafted": [*state["drafted"], *checked]}


def _edited(
    variant: EmailVariant, decision: CampaignDecision, state: MarketingState
) -> EmailVariant:
    brief = state["brief"]
    subject = (decision.subject or variant.subject).strip()
    preheader = (decision.preheader or variant.preheader).strip()
    text = (decision.body_text or variant.body_text).strip()
    cta = (decision.call_to_action or variant.call_to_action).strip()
    html = render.edited_html(text, preheader, subject, brief.lang)
    flags = code_flags(subject, text, state["facts"], brief.segment)
    return variant.model_copy(
        update={
            "variant_id": f"{variant.variant_id}-edit",
            "subject": subject,
            "preheader": preheader,
            "body_text": text,
            "body_html": html,
            "call_to_action": cta,
            "flags": flags,
        }
    )


def approve(
    state: MarketingState, runtime: Deps
) -> Command[Literal["draft_variants", "approve", "record"]]:
    deps = _deps(runtime)
    request = ReviewRequest(
        campaign_id=state["campaign_id"],
        round=state["round"],
        variants=state["variants"],
        failures=state["failures"],
        insight=state["insight"],
        notice=state["notice"],
    )
    decision = CampaignDecision.model_validate(interrupt(request.model_dump(mode="json")))
    decisions = [*state["decisions"], decision]
    now = deps.clock()
    if decision.action == "reject":
        outcome = ApprovalOutcome(action="reject", reviewer=decision.reviewer, at=now)
        return Command(update={"decisions": decisions, "outcome": outcome}, goto="record")
    if decision.action == "another_round":
        if state["round"] >= deps.settings.marketing_max_rounds:
            notice = Notice(kind="round_limit", rounds=state["round"])
            return Command(update={"notice": notice}, goto="approve")
        return Command(
            update={
                "decisions": decisions,
                "round": state["round"] + 1,
                "instruction": decision.instruction or "",
            },
            goto="draft_variants",
        )
    chosen = next((v for v in state["variants"] if v.variant_id == decision.variant_id), None)
    if chosen is None:
        notice = Notice(kind="unknown_variant", variant_id=decision.variant_id or "")
        return Command(update={"notice": notice}, goto="approve")
    final = _edited(chosen, decision, state) if decision.action == "edit" else chosen
    rules = rules_hit(final.flags)
    required = not_overridable(final.flags)
    if required:  # no reason lifts these: the e-mail must be fixed
        notice = Notice(kind="not_overridable", variant_id=final.variant_id, rules=required)
        return Command(update={"notice": notice}, goto="approve")
    if rules and not decision.override_reason:
        notice = Notice(kind="override_required", variant_id=final.variant_id, rules=rules)
        return Command(update={"notice": notice}, goto="approve")
    override = (
        Override(
            reviewer=decision.reviewer, at=now, reason=decision.override_reason or "", rules=rules
        )
        if rules
        else None
    )
    outcome = ApprovalOutcome(
        action=decision.action,
        reviewer=decision.reviewer,
        at=now,
        variant=final,
        original_variant_id=chosen.variant_id,
        override=override,
        diff=edit_diff(chosen.body_text, final.body_text) if decision.action == "edit" else "",
    )
    drafted = [*state["drafted"], final] if decision.action == "edit" else state["drafted"]
    return Command(
        update={"decisions": decisions, "outcome": outcome, "drafted": drafted}, goto="record"
    )


def _row(variant: EmailVariant) -> dict[str, Any]:
    data = variant.model_dump(mode="json")
    return {
        "variant_id": data["variant_id"],
        "round": data["round"],
        "subject": data["subject"],
        "preheader": data["preheader"],
        "body_text": data["body_text"],
        "body_html": data["body_html"],
        "call_to_action": data["call_to_action"],
        "emotion": data["emotion"],
        "rationale": data["rationale"],
        "flags": data["flags"],
    }


def record(state: MarketingState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    campaign_id = state["campaign_id"]
    outcome = state["outcome"]
    assert outcome is not None  # only `approve` leads here, with an outcome
    records = deps.records
    records.add_variants(campaign_id, [_row(v) for v in state["drafted"]])
    for decision in state["decisions"][:-1]:  # the earlier rounds' requests
        records.record_approval(
            campaign_id,
            action=decision.action,
            reviewer=decision.reviewer,
            at=outcome.at,
            instruction=decision.instruction,
        )
    override = outcome.override
    records.record_approval(
        campaign_id,
        action=outcome.action,
        reviewer=outcome.reviewer,
        at=outcome.at,
        variant_id=outcome.variant.variant_id if outcome.variant else None,
        override_reason=override.reason if override else None,
        overridden_rules=override.rules if override else [],
        diff=outcome.diff,
    )
    approved = outcome.action in ("approve", "edit")
    records.update(
        campaign_id,
        status="approved" if approved else "rejected",
        insight=state["insight"].model_dump(mode="json"),
        approved_variant_id=outcome.variant.variant_id if approved and outcome.variant else None,
    )
    return {}


# --- the graph -----------------------------------------------------------------------------
def build_marketing_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[MarketingState, MarketingDeps, MarketingInput, MarketingOutput]:
    builder = StateGraph(
        MarketingState,
        context_schema=MarketingDeps,
        input_schema=MarketingInput,
        output_schema=MarketingOutput,
    )
    builder.add_node(load_insight)
    builder.add_node(gather_facts)
    builder.add_node(draft_variants)
    builder.add_node(check_compliance)
    builder.add_node(approve, destinations=("draft_variants", "approve", "record"))
    builder.add_node(record)
    builder.add_edge(START, "load_insight")
    builder.add_edge("load_insight", "gather_facts")
    builder.add_edge("gather_facts", "draft_variants")
    builder.add_edge("draft_variants", "check_compliance")
    builder.add_edge("check_compliance", "approve")
    builder.add_edge("record", END)
    return builder.compile(checkpointer=checkpointer, name="ressenti-marketing")
