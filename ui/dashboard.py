"""The supervisor's dashboard: plots of the emotion and service KPIs from the CRM."""

from __future__ import annotations

from typing import Any

import gradio as gr

from agents.services.accounts import Account
from agents.services.workspace import Workspace
from ui import plots
from ui.i18n import lang_of, t
from ui.labels import Labeller
from ui.session import Guard

METRICS = [
    ("end_valence", "plot_end_valence", "#5b7db8", "score"),
    ("recovery_minutes", "plot_recovery", "#3f9d5a", "duration"),
    ("effort", "plot_effort", "#8a6fbf", "unit"),
    ("escalation_rate", "plot_escalation", "#e8833a", "rate"),
    ("edit_rate", "plot_edit_rate", "#c9a227", "rate"),
]
"""Each figure: the metric, its title, its colour and how it reads (`ui.plots.MetricKind`)."""


def build_dashboard(ws: Workspace, labels: Labeller, guard: Guard, language: gr.Radio) -> gr.Tab:
    with labels.label(
        gr.Tab(t("tab_dashboard", "fr"), visible=False, id="dashboard"), "tab_dashboard"
    ) as tab:
        with gr.Row():
            labels.value(gr.Markdown(t("dashboard_intro", "fr")), "dashboard_intro")
            refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm", scale=0), "refresh")
        emotions = gr.Plot(show_label=False, elem_id="plot-emotions")
        with gr.Row():
            reasons = gr.Plot(show_label=False, elem_id="plot-reasons")
        figures = [gr.Plot(show_label=False, elem_id=f"plot-{name}") for name, *_ in METRICS]

    outputs = [emotions, reasons, *figures]

    @guard.only("dashboard", quiet=True)
    def show(who: Account | None, choice: str) -> list[Any]:
        if who is None:
            return [gr.skip()] * len(outputs)
        lang = lang_of(choice)
        data = ws.dashboard()
        return [
            plots.emotions_by_week(data.emotions_by_week, lang),
            plots.reasons(data.escalation_reasons, lang),
            *(
                plots.per_group(data, name, title, lang, colour, kind, f"scale_{name}")
                for name, title, colour, kind in METRICS
            ),
        ]

    refresh.click(show, [language], outputs, api_name=False)
    tab.select(show, [language], outputs, api_name=False)
    language.change(show, [language], outputs, api_name=False)
    return tab
