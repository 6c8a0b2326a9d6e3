"""The manager's insights tab: why customers feel what they feel (what `ressenti analyze` stored).

Filters (imports, dates, channel, segment, journey stage, language) apply to every table
and plot; a click on a row of the drivers, stages, segments or topics table shows the
verbatims behind it, most negative first, with the reader's evidence spans highlighted.
Every table exports as CSV. The figures come from `agents.services.insights`; nothing is
computed here.
"""

from __future__ import annotations

from html import escape
from typing import Any

import gradio as gr
import pandas as pd

from agents.analytics.report import Filters, InsightReport
from agents.core.lang import Lang
from agents.services.accounts import Account
from agents.services.insights import Insights, Verbatim, parse_filters
from agents.services.workspace import Workspace
from ui.i18n import emotion_name, lang_of, t
from ui.labels import Labeller
from ui.session import Guard

VERBATIMS_SHOWN = 30
INSIGHTS_CSS = """
.verbatims {list-style:none;padding-left:0}
.verbatim {border-left:3px solid var(--border-color-primary);padding:4px 10px;margin:6px 0}
.verbatim .meta {color:var(--body-text-color-subdued);font-size:0.82em}
.verbatim mark {background:#fde7b0;border-radius:3px;padding:0 2px}
"""


def _ci(value: float, margin: float | None, scale: float = 1.0, digits: int = 2) -> str:
    text = f"{value * scale:+.{digits}f}"
    return text if margin is None else f"{text} (±{margin * scale:.{digits}f})"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def driver_table(ins: Insights, report: InsightReport, lang: Lang) -> pd.DataFrame:
    columns = [
        t(k, lang)
        for k in (
            "col_driver",
            "col_conversations",
            "col_share_negative",
            "col_share_positive",
            "col_end_valence",
            "col_delta_valence",
            "col_delta_effort",
            "col_delta_escalation",
        )
    ]
    rows = [
        [
            ins.taxonomy.title(d.driver, lang),
            d.conversations,
            _pct(d.negative_share),
            _pct(d.positive_share),
            f"{d.end_valence:+.2f}",
            _ci(d.end_valence_diff.value, d.end_valence_diff.margin),
            _ci(d.effort_diff.value, d.effort_diff.margin),
            _ci(d.escalation_diff.value, d.escalation_diff.margin, 100, 0),
        ]
        for d in report.drivers
    ]
    return pd.DataFrame(rows, columns=columns)


def group_table(groups: list[Any], title: Any, lang: Lang) -> pd.DataFrame:
    columns = [
        t(k, lang)
        for k in (
            "col_group",
            "col_conversations",
            "col_end_valence",
            "col_negative",
            "col_effort",
            "col_escalation",
            "col_recovery",
        )
    ]
    rows = [
        [
            title(k.group),
            k.conversations,
            f"{k.end_valence:+.2f}",
            _pct(k.negative_share),
            f"{k.effort:.2f}",
            _pct(k.escalation_rate),
            "–" if k.recovery_minutes is None else f"{k.recovery_minutes:.0f}",
        ]
        for k in groups
    ]
    return pd.DataFrame(rows, columns=columns)


def topic_table(report: InsightReport, lang: Lang) -> pd.DataFrame:
    columns = [t(k, lang) for k in ("col_topic", "col_messages", "col_example")]
    rows = [[tp.name, tp.size, (tp.examples or [""])[0][:160]] for tp in report.topics]
    return pd.DataFrame(rows, columns=columns)


def alert_table(ins: Insights, report: InsightReport, lang: Lang) -> pd.DataFrame:
    columns = [
        t(k, lang)
        for k in (
            "col_window",
            "col_kind",
            "col_key",
            "col_metric",
            "col_baseline",
            "col_value",
            "col_messages",
            "col_webhook",
            "col_example",
        )
    ]
    rows = []
    for alert in report.alerts:
        key = ins.taxonomy.title(alert.key, lang) if alert.kind == "driver" else alert.key
        rows.append(
            [
                alert.window_start.strftime("%Y-%m-%d %H:%M"),
                alert.kind,
                key,
                alert.metric,
                f"{alert.baseline:.2f}",
                f"{alert.value:.2f}",
                alert.messages,
                alert.webhook_status or "",
                (alert.examples or [""])[0][:120],
            ]
        )
    return pd.DataFrame(rows, columns=columns)


def gap_table(ins: Insights, lang: Lang) -> pd.DataFrame:
    columns = [
        t(k, lang)
        for k in (
            "col_topic",
            "col_questions",
            "col_no_passage",
            "col_rejected",
            "col_rewritten",
            "col_edited",
            "col_example",
        )
    ]
    rows = [
        [
            ins.taxonomy.title(g.topic, lang) if g.topic != "other" else t("gap_other", lang),
            g.questions,
            g.no_passage,
            g.rejected,
            g.rewritten,
            g.edited,
            " | ".join(e[:120] for e in g.examples),
        ]
        for g in ins.knowledge_gaps()
    ]
    return pd.DataFrame(rows, columns=columns)


def highlighted(verbatim: Verbatim) -> str:
    """The message with its evidence spans in <mark>, every piece escaped."""
    parts, at = [], 0
    for start, end, signal in verbatim.spans:
        parts.append(escape(verbatim.text[at:start]))
        parts.append(f'<mark title="{escape(signal)}">{escape(verbatim.text[start:end])}</mark>')
        at = end
    parts.append(escape(verbatim.text[at:]))
    return "".join(parts)


def verbatims_html(found: list[Verbatim], what: str, lang: Lang) -> str:
    title = escape(t("verbatims_of", lang, what=what, count=len(found)))
    if not found:
        return f"<h4>{title}</h4><p>{escape(t('verbatims_none', lang))}</p>"
    items = []
    for v in found:
        meta = " · ".join(
            escape(x)
            for x in (
                v.sent_at,
                v.channel,
                v.segment,
                v.stage,
                emotion_name(v.label, lang),
                f"valence {v.valence:+.2f}",
                f"effort {v.effort:.2f}",
            )
        )
        items.append(
            f'<li class="verbatim"><div class="meta">{meta}</div><div>{highlighted(v)}</div></li>'
        )
    return f'<h4>{title}</h4><ul class="verbatims">{"".join(items)}</ul>'


def build_insights(ws: Workspace, labels: Labeller, guard: Guard, language: gr.Radio) -> gr.Tab:
    with labels.label(
        gr.Tab(t("tab_insights", "fr"), visible=False, id="insights"), "tab_insights"
    ) as tab:
        labels.value(gr.Markdown(t("insights_intro", "fr")), "insights_intro")
        with gr.Row():
            sources = labels.label(
                gr.Dropdown(
                    [],
                    multiselect=True,
                    label=t("filter_sources", "fr"),
                    elem_id="insights-sources",
                ),
                "filter_sources",
            )
            start = labels.label(
                gr.Textbox(label=t("filter_start", "fr"), elem_id="insights-start"), "filter_start"
            )
            end = labels.label(
                gr.Textbox(label=t("filter_end", "fr"), elem_id="insights-end"), "filter_end"
            )
        with gr.Row():
            channels = labels.label(
                gr.Dropdown(
                    [],
                    multiselect=True,
                    label=t("filter_channels", "fr"),
                    elem_id="insights-channels",
                ),
                "filter_channels",
            )
            segments = labels.label(
                gr.Dropdown(
                    [],
                    multiselect=True,
                    label=t("filter_segments", "fr"),
                    elem_id="insights-segments",
                ),
                "filter_segments",
            )
            stages = labels.label(
                gr.Dropdown(
                    [], multiselect=True, label=t("filter_stages", "fr"), elem_id="insights-stages"
                ),
                "filter_stages",
            )
            langs = labels.label(
                gr.Dropdown(
                    [], multiselect=True, label=t("filter_langs", "fr"), elem_id="insights-langs"
                ),
                "filter_langs",
            )
        with gr.Row():
            apply = labels.value(
                gr.Button(
                    t("apply_filters", "fr"), variant="primary", scale=0, elem_id="insights-apply"
                ),
                "apply_filters",
            )
            export = labels.value(
                gr.Button(t("export_csv", "fr"), scale=0, elem_id="insights-export"), "export_csv"
            )
        summary = gr.Markdown(elem_id="insights-summary")
        files = labels.label(
            gr.File(
                file_count="multiple",
                label=t("export_files", "fr"),
                visible=False,
                elem_id="insights-files",
            ),
            "export_files",
        )
        labels.value(gr.Markdown(f"### {t('drivers_title', 'fr')}"), "drivers_title")
        drivers_plot = gr.BarPlot(
            x="driver",
            y="share",
            show_label=False,
            elem_id="insights-drivers-plot",
            tooltip="all",
            sort="-y",
        )
        drivers = gr.Dataframe(interactive=False, elem_id="insights-drivers", wrap=True)
        labels.value(gr.Markdown(f"### {t('stages_title', 'fr')}"), "stages_title")
        stages_plot = gr.BarPlot(
            x="stage",
            y="end_valence",
            show_label=False,
            elem_id="insights-stages-plot",
            tooltip="all",
        )
        by_stage = gr.Dataframe(interactive=False, elem_id="insights-by-stage")
        labels.value(gr.Markdown(f"### {t('segments_title', 'fr')}"), "segments_title")
        by_segment = gr.Dataframe(interactive=False, elem_id="insights-by-segment")
        labels.value(gr.Markdown(f"### {t('topics_title', 'fr')}"), "topics_title")
        topics = gr.Dataframe(interactive=False, elem_id="insights-topics", wrap=True)
        labels.value(gr.Markdown(f"### {t('alerts_title', 'fr')}"), "alerts_title")
        alerts = gr.Dataframe(interactive=False, elem_id="insights-alerts", wrap=True)
        labels.value(gr.Markdown(f"### {t('gaps_title', 'fr')}"), "gaps_title")
        gaps = gr.Dataframe(interactive=False, elem_id="insights-gaps", wrap=True)
        labels.value(gr.Markdown(f"### {t('verbatims_title', 'fr')}"), "verbatims_title")
        verbatims = gr.HTML(elem_id="insights-verbatims")
        keys = gr.State({})
        """What each table's rows stand for (driver names, stage keys, topic ids), and the
        filters they were computed under: a row click reads them back."""

    filter_inputs = [sources, start, end, channels, segments, stages, langs]
    outputs = [
        summary,
        drivers_plot,
        drivers,
        stages_plot,
        by_stage,
        by_segment,
        topics,
        alerts,
        gaps,
        verbatims,
        keys,
        sources,
        channels,
        segments,
        stages,
        langs,
        files,
    ]

    def render(
        ins: Insights, filters: Filters, lang: Lang, chosen: list[list[str] | None]
    ) -> list[Any]:
        report = ins.report(filters)

        def stage_title(group: str) -> str:
            return ins.stages.title(group, lang)

        negative = sum(c.negative for c in report.conversations)
        end_valence = (
            sum(c.end_valence for c in report.conversations) / len(report.conversations)
            if report.conversations
            else 0.0
        )
        text = (
            t("insights_empty", lang)
            if report.empty
            else t(
                "insights_summary",
                lang,
                conversations=len(report.conversations),
                negative=negative,
                end_valence=f"{end_valence:+.2f}",
            )
        )
        drivers_frame = pd.DataFrame(
            {
                "driver": [ins.taxonomy.title(d.driver, lang) for d in report.drivers],
                "share": [round(d.negative_share, 3) for d in report.drivers],
            }
        )
        stages_frame = pd.DataFrame(
            {
                "stage": [stage_title(k.group) for k in report.by_stage],
                "end_valence": [round(k.end_valence, 3) for k in report.by_stage],
            }
        )
        state = {
            "drivers": [d.driver for d in report.drivers],
            "stages": [k.group for k in report.by_stage],
            "segments": [k.group for k in report.by_segment],
            "topics": [tp.topic for tp in report.topics],
            "filters": filters,
        }
        every_source = ins.sources()

        def choice(values: list[str], picked: list[str] | None, title: Any = None) -> Any:
            options = [(title(v) if title else v, v) for v in values]
            return gr.update(choices=options, value=[v for v in (picked or []) if v in values])

        return [
            text,
            gr.update(
                value=drivers_frame,
                x_title=t("col_driver", lang),
                y_title=t("col_share_negative", lang),
                title=t("drivers_plot", lang),
            ),
            driver_table(ins, report, lang),
            gr.update(
                value=stages_frame,
                x_title=t("col_group", lang),
                y_title=t("col_end_valence", lang),
                title=t("stages_plot", lang),
            ),
            group_table(report.by_stage, stage_title, lang),
            group_table(report.by_segment, lambda g: g, lang),
            topic_table(report, lang),
            alert_table(ins, report, lang),
            gap_table(ins, lang),
            f"<p>{escape(t('verbatims_hint', lang))}</p>",
            state,
            choice(every_source, chosen[0]),
            choice(report.choices.get("channel", []), chosen[1]),
            choice(report.choices.get("segment", []), chosen[2]),
            choice(report.choices.get("stage", []), chosen[3], stage_title),
            choice(report.choices.get("lang", []), chosen[4]),
            gr.update(visible=False, value=None),
        ]

    @guard.only("insights", quiet=True)
    def show(
        who: Account | None,
        choice: str,
        source_values: list[str] | None,
        start_text: str,
        end_text: str,
        channel_values: list[str] | None,
        segment_values: list[str] | None,
        stage_values: list[str] | None,
        lang_values: list[str] | None,
    ) -> list[Any]:
        if who is None:
            return [gr.skip()] * len(outputs)
        lang = lang_of(choice)
        try:
            filters = parse_filters(
                source_values,
                start_text,
                end_text,
                channel_values,
                segment_values,
                stage_values,
                lang_values,
            )
        except ValueError:
            raise gr.Error(t("insights_bad_date", lang)) from None
        chosen = [source_values, channel_values, segment_values, stage_values, lang_values]
        return render(ws.insights(), filters, lang, chosen)

    def drill(kind: str) -> Any:
        @guard.only("insights")
        def on_select(who: Account, choice: str, state: dict[str, Any], evt: gr.SelectData) -> str:
            lang = lang_of(choice)
            index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            items = state.get(kind) or []
            if not isinstance(index, int) or not 0 <= index < len(items):
                return gr.skip()  # type: ignore[no-any-return]
            item = items[index]
            filters = state.get("filters") or Filters()
            ins = ws.insights()
            if kind == "drivers":
                found = ins.verbatims(filters, driver=item, limit=VERBATIMS_SHOWN)
                what = ins.taxonomy.title(item, lang)
            elif kind == "stages":
                found = ins.verbatims(filters, group=("stage", item), limit=VERBATIMS_SHOWN)
                what = ins.stages.title(item, lang)
            elif kind == "segments":
                found = ins.verbatims(filters, group=("segment", item), limit=VERBATIMS_SHOWN)
                what = item
            else:
                found = ins.verbatims(filters, topic=int(item), limit=VERBATIMS_SHOWN)
                what = next(
                    (tp.name for tp in ins.report(filters).topics if tp.topic == item), str(item)
                )
            return verbatims_html(found, what, lang)

        return on_select

    drivers.select(drill("drivers"), [language, keys], verbatims, api_name=False)
    by_stage.select(drill("stages"), [language, keys], verbatims, api_name=False)
    by_segment.select(drill("segments"), [language, keys], verbatims, api_name=False)
    topics.select(drill("topics"), [language, keys], verbatims, api_name=False)

    @guard.only("insights")
    def export_tables(who: Account, choice: str, state: dict[str, Any]) -> Any:
        lang = lang_of(choice)
        ins = ws.insights()
        report = ins.report(state.get("filters") or Filters())
        paths = ins.export(ins.tables(report, lang))
        return gr.update(value=[str(p) for p in paths], visible=True)

    inputs = [language, *filter_inputs]
    apply.click(show, inputs, outputs, api_name=False)
    tab.select(show, inputs, outputs, api_name=False)
    language.change(show, inputs, outputs, api_name=False)
    export.click(export_tables, [language, keys], files, api_name=False)
    return tab
