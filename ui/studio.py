"""The marketing studio: a brief, the segment's insight, variants side by side with their
compliance flags, a decision (approve, edit, reject, another round) and the export as a
zip. Everything goes through `MarketingService`; nothing here builds a prompt."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
from pydantic import ValidationError

from agents.core.lang import Lang
from agents.marketing.compliance import ComplianceFlag, not_overridable
from agents.marketing.schemas import (
    TARGET_EMOTIONS,
    ApprovalOutcome,
    CampaignDecision,
    EmailVariant,
    SegmentInsight,
)
from agents.marketing.service import (
    DraftResult,
    LegalPartsMissingError,
    MarketingError,
    OverrideRequiredError,
)
from agents.services.accounts import Account
from agents.services.studio import brief_from_form, export_zip, segment_filter
from agents.services.workspace import Workspace
from ui import plots
from ui.files import file_url
from ui.i18n import emotion_name, lang_of, rule_name, t, target_emotion_name
from ui.labels import Labeller
from ui.messages import notice_text
from ui.render import labelled
from ui.session import Guard


def insight_html(insight: SegmentInsight | None, lang: Lang) -> str:
    if insight is None:
        return ""
    valence = "—" if insight.end_valence is None else f"{insight.end_valence:+.2f}"
    emotions = ", ".join(
        f"{html.escape(emotion_name(e.label, lang))} {e.share:.0%}"
        for e in insight.dominant_emotions
    )
    irritants = (
        ", ".join(f"{html.escape(i.label)} ({i.conversations})" for i in insight.irritants) or "—"
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in insight.notes)
    return (
        f'<div class="insight"><b>{t("insight_size", lang)}</b> {insight.recipients} '
        f"/ {insight.matched} · <b>{t('insight_excluded', lang)}</b> "
        f"{t('insight_no_consent', lang, n=insight.excluded_no_consent)}, "
        f"{t('insight_vulnerable', lang, n=insight.excluded_vulnerable)}<br>"
        f"<b>{t('insight_emotions', lang)}</b> {emotions or '—'}<br>"
        f"<b>{t('insight_irritants', lang)}</b> {irritants}<br>"
        f"<b>{t('insight_valence', lang)}</b> {valence} "
        f"({t('insight_conversations', lang, n=insight.conversations)})"
        f"{f'<ul>{notes}</ul>' if notes else ''}</div>"
    )


def flags_html(flags: list[ComplianceFlag], lang: Lang) -> str:
    """Compliance flags as badges (the detail on hover); the legally required ones say so."""
    if not flags:
        return f'<span class="flag ok">{t("no_flag", lang)}</span>'
    required = set(not_overridable(flags))
    return "".join(
        f'<span class="flag{" required" if f.rule in required else ""}" '
        f'title="{html.escape(f.detail)}">{html.escape(rule_name(f.rule, lang))}'
        + (f" — {t('not_overridable', lang)}" if f.rule in required else "")
        + "</span>"
        for f in flags
    )


def _card(v: EmailVariant, lang: Lang, badge: str = "", extra: str = "") -> str:
    return (
        f'<div class="variant" data-variant="{html.escape(v.variant_id)}">'
        f"<h4>{html.escape(v.variant_id)} · {html.escape(v.subject)} {badge}</h4>"
        f'<div class="meta">{html.escape(v.preheader)}</div>'
        f'<div class="meta">{labelled("aimed_emotion", lang)} '
        f"{html.escape(target_emotion_name(v.emotion, lang))} — "
        f"{html.escape(v.rationale)}</div>"
        f'<div class="flags">{flags_html(v.flags, lang)}</div>{extra}'
        f"<pre>{html.escape(v.body_text)}</pre>"
        f'<iframe sandbox="allow-same-origin" title="{html.escape(v.variant_id)}" '
        f'srcdoc="{html.escape(v.body_html, quote=True)}"></iframe></div>'
    )


def approved_html(outcome: ApprovalOutcome, lang: Lang) -> str:
    """The variant as approved (the edited text when it was edited), its flags, and the
    reason recorded for each rule overridden."""
    v = outcome.variant
    if v is None:
        return ""
    badge = f'<span class="flag ok approved">{t("variant_approved", lang)}</span>'
    extra = ""
    if outcome.action == "edit" and outcome.original_variant_id:
        extra += f'<div class="meta">{t("edited_from", lang, id=outcome.original_variant_id)}</div>'
    if outcome.override is not None:
        o = outcome.override
        items = "".join(
            f"<li><b>{html.escape(rule_name(rule, lang))}</b> — "
            f"{t('override_by', lang, who=o.reviewer, at=f'{o.at:%Y-%m-%d %H:%M}')} : "
            f"« {html.escape(o.reason)} »</li>"
            for rule in o.rules
        )
        extra += (
            f'<div class="overrides"><b>{labelled("overrides", lang)}</b><ul>{items}</ul></div>'
        )
    return f'<div class="variants approved-variant">{_card(v, lang, badge, extra)}</div>'


def variants_html(result: DraftResult, lang: Lang) -> str:
    outcome = result.outcome
    if outcome is not None and outcome.variant is not None:
        # What was approved is what is exported: the final text, never the original.
        return approved_html(outcome, lang)
    cards = [_card(v, lang) for v in result.variants]
    failures = "".join(
        f"<li>{t('variant_failed', lang, n=f.index)} {html.escape(f.problem)}</li>"
        for f in result.failures
    )
    notice = (
        f"<p><b>{html.escape(notice_text(result.notice, lang))}</b></p>" if result.notice else ""
    )
    return f'{notice}<div class="variants">{"".join(cards)}</div>' + (
        f"<ul>{failures}</ul>" if failures else ""
    )


def status_line(result: DraftResult, lang: Lang) -> str:
    if result.status == "awaiting_approval" and not result.variants:
        # Said plainly, with what to change: there is nothing to approve.
        return "⚠ " + t("zero_variants", lang, id=result.campaign_id, n=len(result.failures))
    return t(f"campaign_{result.status}", lang, id=result.campaign_id, round=result.round)


def emotion_choices(lang: Lang) -> list[tuple[str, str]]:
    return [(target_emotion_name(e, lang), e) for e in TARGET_EMOTIONS]


def build_studio(
    ws: Workspace,
    labels: Labeller,
    guard: Guard,
    language: gr.Radio,
    model_group: dict[str, Any],
) -> gr.Tab:
    """The studio tab; `model_group` is the concurrency group of events that wait on the model."""
    with labels.label(
        gr.Tab(t("tab_studio", "fr"), visible=False, id="studio"), "tab_studio"
    ) as tab:
        campaign = gr.State(None)
        labels.value(gr.Markdown(t("studio_intro", "fr")), "studio_intro")
        with gr.Row():
            with gr.Column(scale=2):
                name = labels.label(
                    gr.Textbox(label=t("brief_name", "fr"), elem_id="brief-name"), "brief_name"
                )
                goal = labels.label(
                    gr.Textbox(label=t("brief_goal", "fr"), lines=2, elem_id="brief-goal"),
                    "brief_goal",
                )
                offer = labels.label(
                    gr.Textbox(
                        label=t("brief_offer", "fr"), value="Lumio Fibre 2G", elem_id="brief-offer"
                    ),
                    "brief_offer",
                )
                facts = labels.label(
                    gr.Textbox(label=t("brief_facts", "fr"), lines=2, elem_id="brief-facts"),
                    "brief_facts",
                )
            with gr.Column(scale=1):
                seg = labels.label(
                    gr.Dropdown(
                        ["", "standard", "family", "business", "premium"],
                        value="",
                        label=t("seg_segment", "fr"),
                        allow_custom_value=True,
                        elem_id="seg-segment",
                    ),
                    "seg_segment",
                )
                seg_lang = labels.label(
                    gr.Dropdown(
                        ["", "fr", "en"],
                        value="",
                        label=t("seg_language", "fr"),
                        elem_id="seg-language",
                    ),
                    "seg_language",
                )
                city = labels.label(
                    gr.Textbox(label=t("seg_city", "fr"), elem_id="seg-city"), "seg_city"
                )
                contract = labels.label(
                    gr.Dropdown(
                        ["", "fibre", "mobile", "bundle"],
                        value="",
                        label=t("seg_contract", "fr"),
                        allow_custom_value=True,
                        elem_id="seg-contract",
                    ),
                    "seg_contract",
                )
            with gr.Column(scale=1):
                emotion = gr.Dropdown(
                    emotion_choices("fr"),
                    value="reassurance",
                    label=t("brief_emotion", "fr"),
                    elem_id="brief-emotion",
                )
                labels.add(
                    emotion,
                    lambda lang: gr.update(
                        label=t("brief_emotion", lang), choices=emotion_choices(lang)
                    ),
                )
                lang_pick = labels.label(
                    gr.Radio(
                        [("FR", "fr"), ("EN", "en")],
                        value="fr",
                        label=t("brief_lang", "fr"),
                        elem_id="brief-lang",
                    ),
                    "brief_lang",
                )
                tone = labels.label(
                    gr.Textbox(label=t("brief_tone", "fr"), lines=2, elem_id="brief-tone"),
                    "brief_tone",
                )
                count = labels.label(
                    gr.Slider(
                        1,
                        5,
                        value=2,
                        step=1,
                        label=t("brief_variants", "fr"),
                        elem_id="brief-variants",
                    ),
                    "brief_variants",
                )
        draft = labels.value(
            gr.Button(t("draft_campaign", "fr"), variant="primary", elem_id="draft-campaign"),
            "draft_campaign",
        )
        status = gr.Markdown(elem_id="studio-status")
        with gr.Row():
            insight = gr.HTML(elem_id="insight")
            emotions_plot = gr.Plot(show_label=False, visible=False, elem_id="insight-plot")
        variants = gr.HTML(elem_id="variants")
        with gr.Row():
            pick = labels.label(
                gr.Dropdown([], label=t("pick_variant", "fr"), elem_id="pick-variant"),
                "pick_variant",
            )
            override = labels.label(
                gr.Textbox(label=t("override_reason", "fr"), elem_id="override-reason"),
                "override_reason",
            )
        with gr.Accordion(t("edit_variant", "fr"), open=False) as edit_box:
            subject = labels.label(
                gr.Textbox(label=t("subject", "fr"), elem_id="edit-subject"), "subject"
            )
            body = labels.label(
                gr.Textbox(label=t("body", "fr"), lines=6, elem_id="edit-body"), "body"
            )
            # The flags of the text as edited, re-read as it is typed.
            edit_flags = gr.HTML(elem_id="edit-flags")
        labels.label(edit_box, "edit_variant")
        instruction = labels.label(
            gr.Textbox(label=t("round_instruction", "fr"), elem_id="round-instruction"),
            "round_instruction",
        )
        with gr.Row():
            approve = labels.value(
                gr.Button(t("approve_variant", "fr"), variant="primary", elem_id="approve-variant"),
                "approve_variant",
            )
            edit = labels.value(
                gr.Button(t("edit_approve_variant", "fr"), elem_id="edit-approve-variant"),
                "edit_approve_variant",
            )
            again = labels.value(
                gr.Button(t("another_round", "fr"), elem_id="another-round"), "another_round"
            )
            reject = labels.value(
                gr.Button(t("reject_all", "fr"), variant="stop", elem_id="reject-campaign"),
                "reject_all",
            )
        export = labels.value(
            gr.Button(t("export_campaign", "fr"), elem_id="export-campaign"), "export_campaign"
        )
        download = gr.HTML(elem_id="export-file")

    shown = [campaign, status, insight, emotions_plot, variants, pick, subject, body, edit_flags]

    def show(result: DraftResult, lang: Lang, prefix: str = "") -> list[Any]:
        ids = [v.variant_id for v in result.variants]
        waiting = result.status == "awaiting_approval"
        first = result.variants[0] if result.variants and waiting else None
        shares = (
            [(e.label, e.share) for e in result.insight.dominant_emotions] if result.insight else []
        )
        return [
            result.campaign_id,
            prefix + status_line(result, lang),
            insight_html(result.insight, lang),
            gr.update(value=plots.segment_emotions(shares, lang), visible=True),
            variants_html(result, lang),
            gr.update(choices=ids if waiting else [], value=ids[0] if ids and waiting else None),
            first.subject if first else "",
            first.body_text if first else "",
            edit_flags_html(first.flags, lang) if first else "",
        ]

    def problem(text: str) -> list[Any]:
        return [gr.skip(), f"⚠ {text}", *([gr.skip()] * (len(shown) - 2))]

    @guard.only("studio")
    def run_draft(
        who: Account,
        choice: str,
        name_: str,
        goal_: str,
        offer_: str,
        facts_: str,
        seg_: str,
        seg_lang_: str,
        city_: str,
        contract_: str,
        emotion_: str,
        lang_: str,
        tone_: str,
        count_: float,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> list[Any]:
        lang = lang_of(choice)
        try:
            brief = brief_from_form(
                name=name_ or "",
                goal=goal_ or "",
                offer=offer_ or "",
                offer_facts=facts_ or "",
                segment=segment_filter(
                    segment=seg_, language=seg_lang_, city=city_, contract_kind=contract_
                ),
                target_emotion=emotion_,
                lang=lang_,
                tone=tone_ or "",
                variants=int(count_),
                requested_by=who.email,
            )
        except (ValidationError, ValueError) as exc:
            return problem(t("bad_brief", lang, why=_reasons(exc, lang)))
        total = int(count_)
        progress((0, total), desc=t("variants_progress", lang, done=0, total=total))

        def on_variant(done: int, of: int) -> None:
            progress((done, of), desc=t("variants_progress", lang, done=done, total=of))

        try:
            result = ws.marketing.draft(brief, on_variant=on_variant)
        except MarketingError as exc:
            return problem(str(exc))
        return show(result, lang)

    def decide(action: str) -> Any:
        @guard.only("studio")
        def run(
            who: Account,
            choice: str,
            campaign_id: str | None,
            variant: str | None,
            reason: str,
            subject_: str,
            body_: str,
            instruction_: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008
        ) -> list[Any]:
            lang = lang_of(choice)
            if not campaign_id:
                return problem(t("no_campaign", lang))
            if action in ("approve", "edit") and not variant:
                return problem(t("pick_variant_first", lang))
            try:
                decision = CampaignDecision(
                    action=action,
                    variant_id=variant if action in ("approve", "edit") else None,
                    subject=subject_ or None if action == "edit" else None,
                    body_text=body_ or None if action == "edit" else None,
                    instruction=instruction_ or None if action == "another_round" else None,
                    override_reason=(reason or "").strip() or None,
                    reviewer=who.email,
                )
            except ValidationError as exc:
                return problem(_reasons(exc, lang))

            def on_variant(done: int, of: int) -> None:
                progress((done, of), desc=t("variants_progress", lang, done=done, total=of))

            try:
                result = ws.marketing.decide(
                    campaign_id,
                    decision,
                    on_variant=on_variant if action == "another_round" else None,
                )
            except LegalPartsMissingError as exc:
                rules = ", ".join(rule_name(r, lang) for r in exc.rules)
                return problem(t("legal_parts_missing", lang, rules=rules))
            except OverrideRequiredError:
                return problem(t("override_required", lang))
            except MarketingError as exc:
                return problem(str(exc))
            return show(result, lang)

        return run

    form = [
        name,
        goal,
        offer,
        facts,
        seg,
        seg_lang,
        city,
        contract,
        emotion,
        lang_pick,
        tone,
        count,
    ]
    # Drafting and another round wait on the model: they run in the model group.
    # One progress bar, on the status line, following the variants as they come.
    draft.click(
        run_draft,
        [language, *form],
        shown,
        api_name=False,
        show_progress_on=[status],
        **model_group,
    )
    decision_inputs = [language, campaign, pick, override, subject, body, instruction]
    for button, action in (
        (approve, "approve"),
        (edit, "edit"),
        (again, "another_round"),
        (reject, "reject"),
    ):
        group = model_group if action == "another_round" else {}
        button.click(
            decide(action),
            decision_inputs,
            shown,
            api_name=False,
            show_progress_on=[status],
            **group,
        )

    @guard.only("studio")
    def pick_variant(
        who: Account, choice: str, campaign_id: str | None, variant: str | None
    ) -> list[Any]:
        if not campaign_id or not variant:
            return [gr.skip()] * 3
        request = ws.marketing.pending(campaign_id)
        chosen = (
            next((v for v in request.variants if v.variant_id == variant), None)
            if request
            else None
        )
        if chosen is None:
            return [gr.skip()] * 3
        return [chosen.subject, chosen.body_text, edit_flags_html(chosen.flags, lang_of(choice))]

    pick.input(
        pick_variant, [language, campaign, pick], [subject, body, edit_flags], api_name=False
    )

    @guard.only("studio")
    def check_edit(
        who: Account, choice: str, campaign_id: str | None, subject_: str, body_: str
    ) -> Any:
        """The flags of the variant as edited, listed while it is typed."""
        if not campaign_id or ws.marketing.pending(campaign_id) is None:
            return gr.skip()
        flags = ws.marketing.edit_flags(campaign_id, subject_ or "", body_ or "")
        return edit_flags_html(flags, lang_of(choice))

    for box in (subject, body):
        box.change(
            check_edit,
            [language, campaign, subject, body],
            edit_flags,
            api_name=False,
            trigger_mode="always_last",
            show_progress="hidden",
        )

    @guard.only("studio")
    def run_export(who: Account, choice: str, campaign_id: str | None) -> list[Any]:
        lang = lang_of(choice)
        if not campaign_id:
            return [f"⚠ {t('no_campaign', lang)}", ""]
        try:
            archive, emails = export_zip(
                ws.marketing, campaign_id, ws.settings.data_dir / "exports"
            )
        except MarketingError:
            return [f"⚠ {t('export_needs_approval', lang)}", ""]
        url = file_url(ws, "exports", archive)
        link = (
            f'<a class="download" href="{html.escape(url)}" download>'
            f"⬇ {t('export_file', lang)} — {html.escape(archive.name)}</a>"
            if url
            else ""
        )
        return [t("exported", lang, id=campaign_id, n=emails), link]

    export.click(run_export, [language, campaign], [status, download], api_name=False)
    return tab


BRIEF_FIELDS = {
    "name": "brief_name",
    "goal": "brief_goal",
    "offer": "brief_offer",
    "offer_facts": "brief_facts",
    "segment": "seg_segment",
    "target_emotion": "brief_emotion",
    "lang": "brief_lang",
    "tone": "brief_tone",
    "variants": "brief_variants",
    "instruction": "round_instruction",
    "subject": "subject",
    "body_text": "body",
    "override_reason": "override_reason",
}
"""The form's label of each field a brief or a decision is checked on."""


def _reasons(exc: Exception, lang: Lang) -> str:
    """What is wrong with the form, field by field, in the UI's language."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    reasons = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        label = t(BRIEF_FIELDS[field], lang) if field in BRIEF_FIELDS else (field or "—")
        kind = error["type"]
        if kind in ("missing", "string_too_short", "too_short"):
            problem = t("field_required", lang)
        elif kind in ("string_too_long", "too_long"):
            problem = t("field_too_long", lang)
        else:
            problem = t("field_invalid", lang)
        reasons.append(f"{label}{t('colon', lang)} {problem}")
    return "; ".join(dict.fromkeys(reasons))


def edit_flags_html(flags: list[ComplianceFlag], lang: Lang) -> str:
    """The flags of the text in the editor, and what an approval of it needs."""
    if not flags:
        return f'<div class="flags">{flags_html(flags, lang)}</div>'
    required = not_overridable(flags)
    need = "edit_needs_fix" if required else "edit_needs_reason"
    return (
        f'<div class="flags">{labelled("edit_flags", lang)} {flags_html(flags, lang)}'
        f'<div class="meta">{t(need, lang)}</div></div>'
    )
