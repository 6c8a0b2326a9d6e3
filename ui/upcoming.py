"""Tab slots for work that lands with other features: the marketing studio and the
evaluation suites. They say so plainly and simulate nothing."""

from __future__ import annotations

import gradio as gr

from ui.i18n import t
from ui.labels import Labeller


def build_upcoming(labels: Labeller) -> gr.Tab:
    with labels.label(
        gr.Tab(t("tab_evaluations", "fr"), visible=False, id="evaluations"), "tab_evaluations"
    ) as evaluations:
        labels.value(
            gr.Markdown(t("evaluations_soon", "fr"), elem_id="evaluations-notice"),
            "evaluations_soon",
        )
    return evaluations
