"""The support turn as a LangGraph graph: one thread per turn (docs/turn-lifecycle.md).

    load_context → (read_emotion ∥ retrieve ∥ assess) → route
    route: escalate → handoff → END, otherwise → draft → check
    check: blocking finding → draft again (bounded), or → handoff; else → approve
    approve: accept / edit / reject → commit → END; respond → draft (bounded); take over → handoff

The emotion reading, the retrieval and the assessment depend only on what `load_context`
read, so they run side by side (one LangGraph superstep, a thread each) and `route` waits
for all three: the assessment's model call no longer waits behind the reader and Chroma
(`build_support_graph(fan_out=False)` keeps the old chain, for comparison).

A turn starts from its stored inbound message (`Intake` stored it, with the turn, before
anything reads it): `load_context` reads it back by id. Retrieval runs before routing
because "no good passage" is itself an escalation rule. Every model judgement is a typed
value; routing is `EscalationPolicy.decide` over them. The only side effects are in
`commit` and `handoff`, after the decision that allows them, and each is written once
(keyed by the decision's approval row, or by the turn): `approve` raises `interrupt()`, a
resumed node re-runs from its start, and a replayed `commit` or `handoff` changes nothing.
A turn that fails outside these steps goes to a person with `failure_package` (the
worker's failure path).

The model is used only for what its profile trusts (`agents/core/profiles.py`): where it is
not trusted to draft, `draft` composes the reply from the passages (`extractive.py`); where
it is not trusted with summaries, the handoff summary is composed by code (`summary.py`);
where its assessment is not trusted, `assess` does not ask it. A trusted model's drafts
that keep failing the check fall back to the extractive draft when good passages exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

import prompts
from agents.core.config import Settings
from agents.core.diff import edit_diff
from agents.core.emotion import EmotionReading
from agents.core.faults import crash_point
from agents.core.lang import Lang
from agents.core.profiles import ModelProfile
from agents.emotion.lang import detect_lang
from agents.llm.client import LLMClient, LLMError
from agents.support.assessor import FastAssessor, merge_assessments
from agents.support.check import check_draft, citations_in, degenerate_findings, with_disclosure
from agents.support.closing import is_closing
from agents.support.extractive import SentenceEmbedder, closing_reply, extractive_draft
from agents.support.facts import facts_text
from agents.support.notes import note
from agents.support.policy import EscalationPolicy, SignalValue, TurnSignals, turn_signals
from agents.support.ports import (
    ApprovalRecord,
    ContextSource,
    ConversationContext,
    EmotionReader,
    InboundSource,
    SupportWriter,
)
from agents.support.schemas import (
    ApprovalRequest,
    Assessment,
    CheckFinding,
    DecisionToApply,
    DraftMode,
    HandoffPackage,
    InboundMessage,
    Outcome,
    Passage,
    RoutingDecision,
    RuleHit,
)
from agents.support.summary import extractive_summary
from tools.kb.search import KnowledgeSearch


@dataclass
class SupportDeps:
    """Everything the nodes use, injected per run (LangGraph runtime context)."""

    settings: Settings
    llm: LLMClient
    policy: EscalationPolicy
    contexts: ContextSource
    emotions: EmotionReader
    knowledge: KnowledgeSearch
    writer: SupportWriter
    inbound: InboundSource
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    assessor: FastAssessor = field(default_factory=FastAssessor)
    """The code assessment of each message (CPU, milliseconds)."""
    profile: ModelProfile | None = None
    """What the model is trusted for (None: the LLM client's profile, from the settings)."""
    sentence_embedder: Callable[[], SentenceEmbedder | None] = field(default=lambda: None)
    """Opens the embedder that scores passage sentences for the extractive draft (the
    knowledge base's; returning None: word overlap only)."""

    @property
    def model_profile(self) -> ModelProfile:
        return self.profile if self.profile is not None else self.llm.profile


class SupportInput(TypedDict):
    """What starts a turn: the turn and its inbound message, both stored already."""

    turn_id: str
    conversation_id: str
    message_id: int
    requested_by: str | None
    """The agent who asked for this draft on a conversation they own (None: an inbound
    turn). A requested draft is drafted even where the rules would hand off: a person
    already has the conversation."""


def merge_notes(current: list[str] | None, update: list[str]) -> list[str]:
    """The `tried` notes: an empty list starts the turn's notes afresh (`load_context`);
    otherwise a node's notes (its copy of the notes so far, plus its own) are added to
    the current ones, so nodes running side by side each keep theirs."""
    if not update or not current:
        return list(update)
    return [*current, *(note for note in update if note not in current)]


class SupportState(SupportInput, total=False):
    """The turn's state. Every field is reset by `load_context` at the start of a turn."""

    message: InboundMessage
    """The inbound message, as stored (read by `load_context`)."""
    context: ConversationContext
    """The customer's context, loaded for this conversation's customer only."""
    lang: Lang
    """The language of the reply (the message's, else the customer's)."""
    reading: EmotionReading
    """The emotion reading of the inbound message."""
    passages: list[Passage]
    """Knowledge passages the draft may cite."""
    retrieval_confident: bool
    best_score: float | None
    assessment: Assessment | None
    """The fast assessor's assessment, with what a trusted model added."""
    assessment_failed: bool
    """The trusted model's assessment failed (the fast assessor's stands alone)."""
    signals: TurnSignals
    """The values the escalation rules saw."""
    decision: RoutingDecision
    draft: str
    citations: list[str]
    draft_mode: DraftMode
    """Who wrote the draft: the model, or code from the passages."""
    finish_reason: str | None
    """Why the model stopped writing the draft (`length`: cut off at its token limit)."""
    extractive_fallback: bool
    """A trusted model's drafts all failed the check: the next draft is extractive."""
    findings: list[CheckFinding]
    redrafts: int
    """Drafts made after the first one (bounded by the policy's `max_redrafts`)."""
    instruction: str
    """What the next draft must change (from the check or from the human)."""
    tried: Annotated[list[str], merge_notes]
    """What was attempted this turn, for the handoff package (merged: see `merge_notes`)."""
    approval: ApprovalRecord | None
    outcome: Outcome
    handoff: HandoffPackage | None


class SupportOutput(TypedDict, total=False):
    """What a finished (or interrupted) turn reports."""

    outcome: Outcome
    decision: RoutingDecision
    draft: str
    findings: list[CheckFinding]
    approval: ApprovalRecord | None
    handoff: HandoffPackage | None


Deps = Runtime[SupportDeps]


def _deps(runtime: Deps) -> SupportDeps:
    """The injected dependencies (the LangGraph runtime context of the run)."""
    if runtime.context is None:
        raise RuntimeError(
            "the support graph runs with its SupportDeps as context: use SupportService, "
            "or a graph built with build_support_graph(default_deps=...) as agents/studio.py does"
        )
    return runtime.context


def _with_default_context(
    node: Callable[..., Any], default_deps: Callable[[], SupportDeps]
) -> Callable[..., Any]:
    """`node`, given `default_deps()` when its run brings no context (LangGraph's server)."""

    def run(state: SupportState, runtime: Deps) -> Any:
        if runtime.context is None:
            runtime = runtime.override(context=default_deps())
        return node(state, runtime)

    run.__name__ = node.__name__
    run.__doc__ = node.__doc__
    return run


def _hit(rule: str, description: str, **seen: SignalValue) -> RuleHit:
    return RuleHit(rule=rule, description=description, seen=seen)


def _holder() -> str | None:
    """The worker holding this turn's lease (its writes are refused once it lost it)."""
    holder = get_config().get("configurable", {}).get("lease_owner")
    return str(holder) if holder else None


STAGE_OF_NODE: dict[str, str] = {
    "load_context": "reading",
    "read_emotion": "reading",
    "retrieve": "searching",
    "assess": "assessing",
    "route": "assessing",
    "draft": "drafting",
    "check": "checking",
}
"""The stage a turn shows (`turns.stage`) while each node runs; other nodes leave it."""


# --- nodes -------------------------------------------------------------------------------
def load_context(state: SupportState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    message = deps.inbound.inbound(state["message_id"])
    context = deps.contexts.load(state["conversation_id"], state["message_id"])
    return {
        "message": message,
        "context": context,
        "lang": reply_language(message, context),
        "passages": [],
        "assessment": None,
        "assessment_failed": False,
        "draft": "",
        "citations": [],
        "draft_mode": "model",
        "finish_reason": None,
        "extractive_fallback": False,
        "findings": [],
        "redrafts": 0,
        "instruction": "",
        "tried": [],
        "approval": None,
        "handoff": None,
        "outcome": "awaiting_approval",
    }


def reply_language(message: InboundMessage, context: ConversationContext) -> Lang:
    """The language the customer wrote in: declared by the channel, else detected when the
    message is long enough to tell, else the one on the customer's record."""
    if message.lang:
        return message.lang
    if len(message.text.split()) >= 4:
        return detect_lang(message.text)
    return context.lang


def read_emotion(state: SupportState, runtime: Deps) -> dict[str, Any]:
    context = state["context"]
    lang = state["lang"]
    reading = _deps(runtime).emotions.read(
        state["message"].text, lang, context.history, facts_text(context.facts, lang)
    )
    return {"reading": reading}


def retrieve(state: SupportState, runtime: Deps) -> dict[str, Any]:
    result = _deps(runtime).knowledge.search(state["message"].text)
    passages = [
        Passage(
            citation_id=p.citation,
            title=p.title,
            text=p.text,
            score=p.score,
            lang=p.lang,
            section=p.section,
        )
        for p in result.passages
    ]
    said = note(
        "knowledge_search",
        state["lang"],
        count=len(passages),
        score=f"{result.top_score:.2f}",
    )
    return {
        "passages": passages,
        "retrieval_confident": result.confident,
        "best_score": result.top_score if passages else None,
        "tried": [*state["tried"], said],
    }


def _history_block(context: ConversationContext, limit: int = 6) -> prompts.DelimitedBlock:
    """The last earlier messages, each in its own `<line author="…">` (the author from the
    record), so that no text a customer wrote can pass itself off as an agent's line."""
    return prompts.history_block(
        prompts.HistorySource(line.author, line.text) for line in context.history[-limit:]
    )


def assess(state: SupportState, runtime: Deps) -> dict[str, Any]:
    """The fast assessor always; the model only where its profile trusts it to assess, and
    then it can only add to what the code found (a failure leaves the code's assessment)."""
    deps = _deps(runtime)
    text = state["message"].text
    code = deps.assessor.assess(text)  # beside the emotion reading (fan-out), not after it
    if not deps.model_profile.trusts("assessment"):
        return {"assessment": code}
    messages = prompts.load("support_assess").render(
        state["lang"], history=_history_block(state["context"]), message=text
    )
    try:
        model = deps.llm.structured(messages, Assessment, max_tokens=200)
    except LLMError as exc:
        return {
            "assessment": code,
            "assessment_failed": True,
            "tried": [*state["tried"], note("assessment_failed", state["lang"], error=exc)],
        }
    return {"assessment": merge_assessments(code, model)}


def route(state: SupportState, runtime: Deps) -> dict[str, Any]:
    policy = _deps(runtime).policy
    context = state["context"]
    signals = turn_signals(
        reading=state["reading"],
        trajectory=context.earlier_readings,
        window=policy.trend_window,
        repeated_contacts=context.repeated_contacts,
        assessment=state["assessment"],
        retrieval_confident=state["retrieval_confident"],
        best_score=state["best_score"],
        llm_failure=state.get("assessment_failed", False),
        closing=is_closing(state["message"].text) and state["reading"].valence > CLOSING_VALENCE,
    )
    return {"signals": signals, "decision": policy.decide(signals)}


CLOSING_VALENCE = -0.3
"""A closing message reads at least this positive ("Merci pour rien" is not a thank-you)."""


def _closing(state: SupportState) -> bool:
    signals = state.get("signals")
    return bool(signals and signals.closing)


def after_route(state: SupportState) -> Literal["draft", "handoff"]:
    if state.get("requested_by"):
        return "draft"  # a person asked for this draft on a conversation they own
    return "handoff" if state["decision"].escalate else "draft"


def _passages_block(passages: list[Passage]) -> prompts.DelimitedBlock:
    return prompts.passages_block(
        prompts.PassageSource(p.citation_id, p.text, {"title": p.title}) for p in passages
    )


PASSAGE_FLOOR_SHARE = 0.8
"""An extractive draft quotes passages scoring at least this share of the retrieval floor
(`retrieval_min_score`): the confidence that routes the turn is judged on the best one."""


def _draft_extractively(state: SupportState, deps: SupportDeps) -> dict[str, Any]:
    """The reply composed from the passages, in the turn's language (searched for again in
    that language when the passages found are in the other one)."""
    lang = state["lang"]
    question = state["message"].text
    if _closing(state):
        text = closing_reply(
            lang=lang, customer_name=state["context"].customer_name, seed=state["conversation_id"]
        )
        return {
            "draft": text,
            "citations": [],
            "draft_mode": "closing",
            "finish_reason": None,
            "tried": [*state["tried"], note("closing", lang)],
        }
    passages = list(state["passages"])
    floor = deps.settings.retrieval_min_score * PASSAGE_FLOOR_SHARE
    if sum(1 for p in passages if p.lang in (None, lang) and p.score >= floor) < 2:
        known = {p.citation_id for p in passages}
        found = deps.knowledge.search(question, lang=lang).passages
        passages += [
            Passage(
                citation_id=p.citation,
                title=p.title,
                text=p.text,
                score=p.score,
                lang=p.lang,
                section=p.section,
            )
            for p in found
            if p.citation not in known
        ]
    composed = extractive_draft(
        question,
        passages,
        lang=lang,
        label=state["reading"].label,
        customer_name=state["context"].customer_name,
        seed=state["conversation_id"],
        embedder=deps.sentence_embedder(),
        floor=floor,
        max_gesture_eur=deps.policy.max_gesture_eur,
    )
    said = (
        note(
            "extractive_answered",
            lang,
            count=len(composed.sentences),
            sources=", ".join(composed.citations),
        )
        if composed.answered
        else note("extractive_none", lang)
    )
    return {
        "draft": composed.text,
        "citations": composed.citations,
        "draft_mode": "extractive",
        "finish_reason": None,
        "passages": passages,
        "tried": [*state["tried"], said],
    }


def draft(state: SupportState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    if state.get("extractive_fallback") or not deps.model_profile.trusts("free_drafting"):
        return _draft_extractively(state, deps)
    lang = state["lang"]
    context = state["context"]
    tones = prompts.snippets("tones")[lang]
    messages = prompts.load("support_draft").render(
        lang,
        customer_name=context.customer_name,
        facts=facts_text(context.facts, lang),
        history=_history_block(context),
        passages=_passages_block(state["passages"]),
        message=state["message"].text,
        tone=tones.get(state["reading"].label, tones["default"]),
        instruction=state["instruction"],
    )
    try:
        completion = deps.llm.completion(messages)
    except LLMError as exc:
        signals = state["signals"].model_copy(update={"llm_failure": True})
        return {
            "draft": "",
            "signals": signals,
            "decision": deps.policy.decide(signals),
            "tried": [*state["tried"], note("draft_failed", state["lang"], error=exc)],
        }
    text = completion.text.strip()
    if not text:
        signals = state["signals"].model_copy(update={"llm_failure": True})
        return {
            "draft": "",
            "signals": signals,
            "decision": deps.policy.decide(signals),
            "tried": [*state["tried"], note("draft_empty", state["lang"])],
        }
    return {
        "draft": text,
        "citations": citations_in(text),
        "draft_mode": "model",
        "finish_reason": completion.finish_reason,
    }


def after_draft(state: SupportState) -> Literal["check", "handoff"]:
    return "check" if state["draft"] else "handoff"


def check(state: SupportState, runtime: Deps) -> Command[Literal["draft", "approve", "handoff"]]:
    deps = _deps(runtime)
    policy = deps.policy
    context = state["context"]
    disclosure = policy.ai_disclosure
    text = with_disclosure(
        state["draft"], getattr(disclosure, state["lang"]) if disclosure.enabled else None
    )
    # a closing reply quotes nothing: there is nothing for it to cite
    passages = [] if state.get("draft_mode") == "closing" else state["passages"]
    # a closing message asks nothing: no passage is owed a citation
    good_passages = bool(passages) and state["retrieval_confident"] and not _closing(state)
    findings = check_draft(
        text,
        passages,
        facts_text(context.facts, state["lang"]),
        context.known_identifiers,
        policy.max_gesture_eur,
        state["lang"],
        good_passages=good_passages,
    ) + degenerate_findings(
        state["draft"], state["lang"], truncated=state.get("finish_reason") == "length"
    )
    blocking = [f for f in findings if f.blocking]
    update: dict[str, Any] = {"draft": text, "findings": findings}
    if not blocking:
        return Command(update=update, goto="approve")
    problems = "; ".join(f.detail for f in blocking)
    tried = [
        *state["tried"],
        note("check_failed", state["lang"], number=state["redrafts"] + 1, problems=problems),
    ]
    by_model = state.get("draft_mode", "model") == "model"
    if by_model and state["redrafts"] < policy.max_redrafts:
        fix = prompts.snippets("check_findings")[state["lang"]]["fix_instruction"].format(
            problems=problems
        )
        update |= {"instruction": fix, "redrafts": state["redrafts"] + 1, "tried": tried}
        return Command(update=update, goto="draft")
    if by_model and good_passages:
        # The model's drafts all failed: a plain question gets the passages' own answer
        # rather than a handoff.
        fallback = note("extractive_fallback", state["lang"])
        return Command(
            update=update | {"extractive_fallback": True, "tried": [*tried, fallback]},
            goto="draft",
        )
    hit = _hit("draft_check_failed", "Every draft failed the policy check.", problems=problems)
    decision = RoutingDecision(escalate=True, priority="high", hits=[*state["decision"].hits, hit])
    return Command(update=update | {"tried": tried, "decision": decision}, goto="handoff")


def approve(state: SupportState, runtime: Deps) -> Command[Literal["draft", "commit", "handoff"]]:
    request = ApprovalRequest(
        conversation_id=state["message"].conversation_id,
        customer_id=state["context"].customer_id,
        draft=state["draft"],
        citations=state["citations"],
        findings=state["findings"],
        reading=state["reading"],
        priority=state["decision"].priority,
        redrafts=state["redrafts"],
        draft_mode=state.get("draft_mode", "model"),
    )
    claimed = DecisionToApply.model_validate(interrupt(request.model_dump(mode="json")))
    answer = claimed.decision
    final = answer.text if answer.action == "edit" else state["draft"]
    record = ApprovalRecord(
        decision=answer,
        draft=state["draft"],
        final_text=final if answer.action in ("accept", "edit") else None,
        diff=edit_diff(state["draft"], final) if answer.action == "edit" and final else "",
        approval_id=claimed.approval_id,
    )
    if answer.action in ("accept", "edit", "reject"):
        return Command(update={"approval": record}, goto="commit")
    tried = [
        *state["tried"],
        note("decided", state["lang"], number=state["redrafts"] + 1, action=answer.action),
    ]
    if answer.action == "respond" and state["redrafts"] < _deps(runtime).policy.max_redrafts:
        return Command(
            update={
                "instruction": answer.instruction or "",
                "redrafts": state["redrafts"] + 1,
                "tried": tried,
            },
            goto="draft",
        )
    if answer.action == "respond":
        hit = _hit("redraft_limit", "The redraft limit was reached.", redrafts=state["redrafts"])
    else:
        hit = _hit(
            "agent_took_over", "The agent took the conversation over.", reviewer=answer.reviewer
        )
    decision = RoutingDecision(
        escalate=True, priority=state["decision"].priority, hits=[*state["decision"].hits, hit]
    )
    return Command(
        update={"approval": record, "tried": tried, "decision": decision}, goto="handoff"
    )


def commit(state: SupportState, runtime: Deps) -> dict[str, Any]:
    """The decision's effects, in one transaction keyed by its approval (a replay is a
    no-op): the reply in the transcript and the outbox, the reading, the new states."""
    deps = _deps(runtime)
    record = state["approval"]
    assert record is not None  # only `approve` leads here, with a record
    crash_point(deps.settings, "before_apply")
    outcome = deps.writer.apply(record, state.get("reading"), _holder())
    crash_point(deps.settings, "after_apply")
    return {"outcome": outcome}


def handoff(state: SupportState, runtime: Deps) -> dict[str, Any]:
    deps = _deps(runtime)
    message = state["message"]
    context = state["context"]
    decision = state["decision"]
    lang = state["lang"]
    assessment = state.get("assessment")
    trajectory = [*context.earlier_readings, state["reading"]]
    if assessment is not None and deps.model_profile.trusts("summaries"):
        summary = assessment.summary
    else:
        summary = extractive_summary(message.text, context.history, context.facts, trajectory, lang)
    first_name = context.customer_name.split(" ")[0] if context.customer_name else ""
    opening = deps.policy.suggested_openings[lang][decision.priority].format(
        name=first_name, agent=prompts.snippets("handoff")[lang]["agent_placeholder"]
    )
    package = HandoffPackage(
        conversation_id=message.conversation_id,
        customer_id=context.customer_id,
        lang=lang,
        priority=decision.priority,
        reasons=decision.hits,
        summary=summary,
        emotion_trajectory=trajectory,
        tried=state["tried"],
        suggested_opening=opening,
        last_message=message.text,
    )
    outcome = deps.writer.hand_off(
        state["turn_id"], package, state.get("reading"), state.get("approval"), _holder()
    )
    return {"handoff": package, "outcome": outcome}


def failure_package(
    *,
    conversation_id: str,
    customer_id: str,
    first_name: str,
    lang: Lang,
    message: str,
    reason: str,
    stage: str | None,
    policy: EscalationPolicy,
) -> HandoffPackage:
    """The minimal handoff package of a turn that failed (any error: the CRM, Chroma, the
    emotion reader, a bug): the message and why, so a person can answer it."""
    opening = policy.suggested_openings[lang]["high"].format(
        name=first_name, agent=prompts.snippets("handoff")[lang]["agent_placeholder"]
    )
    hit = _hit(
        "turn_failed",
        "The turn failed before a reply could be drafted: a person answers.",
        error=reason[:300],
        stage=stage or "start",
    )
    return HandoffPackage(
        conversation_id=conversation_id,
        customer_id=customer_id,
        lang=lang,
        priority="high",
        reasons=[hit],
        summary=message[:300],
        emotion_trajectory=[],
        tried=[note("stage_failed", lang, stage=stage or "start", reason=reason)],
        suggested_opening=opening,
        last_message=message,
    )


# --- the graph -----------------------------------------------------------------------------
NODES: tuple[Callable[..., Any], ...] = (
    load_context,
    read_emotion,
    retrieve,
    assess,
    route,
    draft,
    check,
    approve,
    commit,
    handoff,
)
DESTINATIONS: dict[str, tuple[str, ...]] = {
    "check": ("draft", "approve", "handoff"),
    "approve": ("draft", "commit", "handoff"),
}


PARALLEL_READS = ("read_emotion", "retrieve", "assess")
"""The nodes that only need `load_context`'s values: run side by side, joined at `route`."""


def build_support_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    default_deps: Callable[[], SupportDeps] | None = None,
    fan_out: bool = True,
) -> CompiledStateGraph[SupportState, SupportDeps, SupportInput, SupportOutput]:
    """The compiled support graph. Runs get their `SupportDeps` as context; `default_deps`
    gives the ones used when a run brings none (LangGraph's server and Studio run the graph
    that `agents/studio.py` builds this way). `fan_out=False`: the reading, the retrieval
    and the assessment one after another (the measured baseline, `bench.load --compare`)."""
    builder = StateGraph(
        SupportState,
        context_schema=SupportDeps,
        input_schema=SupportInput,
        output_schema=SupportOutput,
    )
    for node in NODES:
        action = node if default_deps is None else _with_default_context(node, default_deps)
        builder.add_node(node.__name__, action, destinations=DESTINATIONS.get(node.__name__))
    builder.add_edge(START, "load_context")
    if fan_out:
        for name in PARALLEL_READS:
            builder.add_edge("load_context", name)
        builder.add_edge(list(PARALLEL_READS), "route")
    else:
        builder.add_edge("load_context", "read_emotion")
        builder.add_edge("read_emotion", "retrieve")
        builder.add_edge("retrieve", "assess")
        builder.add_edge("assess", "route")
    builder.add_conditional_edges("route", after_route)
    builder.add_conditional_edges("draft", after_draft)
    builder.add_edge("commit", END)
    builder.add_edge("handoff", END)
    return builder.compile(checkpointer=checkpointer, name="ressenti-support")
