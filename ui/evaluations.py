"""The evaluations tab: run a suite with a progress bar, read its metrics, gates, figures
and cases, and compare two stored runs. Everything goes through
`agents.services.evaluations.Evaluations`."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr

from agents.core.lang import Lang
from agents.services.accounts import Account
from agents.services.evaluations import ComparisonView, EvaluationError, RunView
from agents.services.workspace import Workspace
from ui.files import file_url
from ui.i18n import lang_of, t
from ui.labels import Labeller
from ui.session import Guard


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "—" if value is None else str(value)


def gates_html(view: RunView, lang: Lang) -> str:
    if not view.gates:
        return f"<p>{t('no_gates', lang)}</p>"
    rows = "".join(
        f'<tr class="{"pass" if g["passed"] else "fail"}"><td>{"✓" if g["passed"] else "✗"}</td>'
        f"<td>{html.escape(str(g['metric']))} {html.escape(str(g['op']))} {_fmt(g['value'])}</td>"
        f"<td>{_fmt(g.get('measured'))}</td><td>{html.escape(str(g.get('why') or ''))}</td></tr>"
        for g in view.gates
    )
    verdict = t("gates_pass" if view.gates_passed else "gates_fail", lang)
    return (
        f'<p class="gates-verdict"><b>{verdict}</b></p><table class="gates"><tr>'
        f"<th></th><th>{t('gate', lang)}</th><th>{t('measured', lang)}</th>"
        f"<th>{t('why', lang)}</th></tr>{rows}</table>"
    )


def metrics_rows(view: RunView) -> list[list[str]]:
    return [[name, _fmt(value)] for name, value in view.metrics.items()]


def comparison_md(c: ComparisonView, lang: Lang) -> str:
    lines = [t("compare_head", lang, a=c.a, b=c.b)]
    if not c.same_suite:
        lines.append(f"⚠ {t('different_suites', lang)}")
    lines.append(
        t("compare_counts", lang, regressions=len(c.regressions), improvements=len(c.improvements))
    )
    for key, ids in (("regressed", c.regressions), ("improved", c.improvements)):
        if ids:
            shown = ", ".join(f"`{i}`" for i in ids[:20])
            more = f" … +{len(ids) - 20}" if len(ids) > 20 else ""
            lines.append(f"- {t(key, lang)} : {shown}{more}")
    return "\n\n".join(lines)


def figures_html(ws: Workspace, paths: list[Path], lang: Lang) -> str:
    """The run's figures, each a link to itself at full size (served by `ui/files.py`)."""
    shown = []
    for path in paths:
        url = file_url(ws, "evaluations", path)
        if url is None:
            continue
        name = html.escape(path.stem.replace("-", " ").replace("_", " "))
        shown.append(
            f'<figure class="figure"><a href="{html.escape(url)}" target="_blank" '
            f'rel="noopener"><img src="{html.escape(url)}" alt="{name}"></a>'
            f"<figcaption>{name}</figcaption></figure>"
        )
    if not shown:
        return f"<p><i>{t('no_figures', lang)}</i></p>"
    return f'<div class="figures">{"".join(shown)}</div>'


def refusal(exc: EvaluationError, lang: Lang) -> str:
    """Why a run or a comparison did not start, in the UI's language, with what to do."""
    return t(f"eval_{exc.kind}", lang, detail=exc.detail)


def limit_of(value: float | str | None) -> int | None:
    """The form's case count: empty or 0 means every case."""
    if value in (None, ""):
        return None
    try:
        n = int(float(value))
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def build_evaluations(ws: Workspace, labels: Labeller, guard: Guard, language: gr.Radio) -> gr.Tab:
    evaluations = ws.evaluations
    with labels.label(
        gr.Tab(t("tab_evaluations", "fr"), visible=False, id="evaluations"), "tab_evaluations"
    ) as tab:
        labels.value(gr.Markdown(t("evaluations_intro", "fr")), "evaluations_intro")
        suites = evaluations.suites()
        with gr.Row():
            suite = labels.label(
                gr.Dropdown(
                    suites,
                    value="retrieval" if "retrieval" in suites else suites[0],
                    label=t("suite", "fr"),
                    elem_id="suite",
                ),
                "suite",
            )
            limit = labels.label(
                gr.Number(value=0, precision=0, minimum=0, label=t("limit", "fr"), elem_id="limit"),
                "limit",
            )
            workers = labels.label(
                gr.Slider(1, 8, value=2, step=1, label=t("workers", "fr"), elem_id="workers"),
                "workers",
            )
            goemotions = labels.label(
                gr.Textbox(label=t("goemotions", "fr"), elem_id="goemotions"), "goemotions"
            )
        run = labels.value(
            gr.Button(t("run_suite", "fr"), variant="primary", elem_id="run-suite"), "run_suite"
        )
        status = gr.Markdown(elem_id="eval-status")
        with gr.Row():
            metrics = labels.label(
                gr.Dataframe(
                    headers=["metric", "value"],
                    label=t("metrics", "fr"),
                    interactive=False,
                    elem_id="metrics",
                ),
                "metrics",
            )
            gates = gr.HTML(elem_id="gates")
        labels.value(gr.Markdown(t("figures_title", "fr")), "figures_title")
        figures = gr.HTML(elem_id="figures")
        cases = labels.label(
            gr.Dataframe(
                headers=["id", "passed", "latency_s", "error"],
                label=t("cases", "fr"),
                interactive=False,
                max_height=320,
                elem_id="cases",
            ),
            "cases",
        )
        labels.value(gr.Markdown(t("compare_title", "fr")), "compare_title")
        with gr.Row():
            run_a = labels.label(gr.Dropdown([], label=t("run_a", "fr"), elem_id="run-a"), "run_a")
            run_b = labels.label(gr.Dropdown([], label=t("run_b", "fr"), elem_id="run-b"), "run_b")
            refresh = labels.value(gr.Button(t("refresh", "fr"), size="sm", scale=0), "refresh")
        compare = labels.value(gr.Button(t("compare", "fr"), elem_id="compare-runs"), "compare")
        verdict = gr.Markdown(elem_id="compare-verdict")
        with gr.Row():
            deltas = labels.label(
                gr.Dataframe(
                    headers=["metric", "A", "B", "delta", ""],
                    label=t("deltas", "fr"),
                    interactive=False,
                    elem_id="deltas",
                ),
                "deltas",
            )
            delta_figure = gr.HTML(elem_id="delta-figure")

    def run_choices() -> Any:
        # A run's id already names its suite and start time.
        return gr.update(choices=[v.run_id for v in evaluations.runs()])

    @guard.only("evaluations", quiet=True)
    def list_runs(who: Account | None, choice: str) -> list[Any]:
        if who is None:
            return [gr.skip(), gr.skip()]
        return [run_choices(), run_choices()]

    @guard.only("evaluations")
    def run_it(
        who: Account,
        choice: str,
        suite_: str,
        limit_: float | None,
        workers_: float,
        goemotions_: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> list[Any]:
        lang = lang_of(choice)
        progress(0, desc=t("running", lang, suite=suite_))

        def on_case(done: int, total: int) -> None:
            progress((done, total), desc=t("running", lang, suite=suite_), unit="cases")

        try:
            view = evaluations.run(
                suite_,
                limit=limit_of(limit_),
                workers=int(workers_),
                goemotions=Path(goemotions_.strip()) if (goemotions_ or "").strip() else None,
                on_case=on_case,
            )
        except EvaluationError as exc:
            return [f"⚠ {html.escape(refusal(exc, lang))}", *([gr.skip()] * 6)]
        head = t(
            "run_done",
            lang,
            id=view.run_id,
            suite=view.suite,
            n=len(view.cases),
            verdict=t("gates_pass" if view.gates_passed else "gates_fail", lang),
        )
        return [
            head,
            metrics_rows(view),
            gates_html(view, lang),
            figures_html(ws, view.figures, lang),
            [[c["id"], c["passed"], c["latency_s"], c["error"]] for c in view.cases],
            run_choices(),
            run_choices(),
        ]

    @guard.only("evaluations")
    def compare_them(who: Account, choice: str, a: str | None, b: str | None) -> list[Any]:
        lang = lang_of(choice)
        if not a or not b:
            return [f"⚠ {t('pick_two_runs', lang)}", gr.skip(), gr.skip()]
        try:
            c = evaluations.compare(a, b)
        except EvaluationError as exc:
            return [f"⚠ {html.escape(refusal(exc, lang))}", gr.skip(), gr.skip()]
        rows = [
            [
                d["metric"],
                _fmt(d["a"]),
                _fmt(d["b"]),
                "—" if d["delta"] is None else f"{d['delta']:+.3f}",
                t(d["verdict"], lang) if d["verdict"] else "",
            ]
            for d in c.deltas
        ]
        figure = figures_html(ws, [c.figure], lang) if c.figure else ""
        return [comparison_md(c, lang), rows, figure]

    # One suite run at a time (each opens its own sandbox and its worker threads); the
    # other events of the tab are not held up by it.
    run.click(
        run_it,
        [language, suite, limit, workers, goemotions],
        [status, metrics, gates, figures, cases, run_a, run_b],
        api_name=False,
        concurrency_limit=1,
    )
    compare.click(
        compare_them,
        [language, run_a, run_b],
        [verdict, deltas, delta_figure],
        api_name=False,
    )
    refresh.click(list_runs, [language], [run_a, run_b], api_name=False)
    tab.select(list_runs, [language], [run_a, run_b], api_name=False)
    return tab
