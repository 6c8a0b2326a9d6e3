"""The insights tab in headless Chromium over the demo company's analysed conversations
(with the planted outage spike): figures, filters, drill-down to verbatims, the alert,
the language switch and the CSV export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from agents.analytics.alerts import packaged_rules
from agents.analytics.demo import write_demo
from agents.analytics.pipeline import AnalysisParts, Analyzer
from agents.analytics.report import Filters
from agents.analytics.sources import InputFile
from agents.core.config import Settings
from agents.emotion.fast import FastReader
from agents.llm.client import LLMClient
from agents.services.insights import Insights
from agents.services.root import Overrides, Root
from tests.fakes import SCRIPTED_PROFILE, ScriptedChatModel
from tests.integration.app.conftest import (
    RoutedScript,
    RunningApp,
    prepare_data,
    screenshot,
    serve,
    sign_in,
)
from tests.integration.conftest import free_port

DEMO_CUSTOMERS = 30


@pytest.fixture(scope="module")
def insights_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    folder = tmp_path_factory.mktemp("insights-app")
    settings = Settings(
        data_dir=folder / "data",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_profile=SCRIPTED_PROFILE,  # a profile that lets the scripted model draft
        demo_mode=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    prepare_data(settings)
    workspace = Root(
        settings, Overrides(llm=LLMClient(settings, ScriptedChatModel(script=RoutedScript([]))))
    ).workspace
    path = folder / "demo.jsonl"
    write_demo(path, customers=DEMO_CUSTOMERS)
    ins = Insights(workspace.store)
    parts = AnalysisParts(FastReader(), ins.taxonomy, ins.stages, packaged_rules())
    Analyzer(workspace.store.analysis, parts).run(InputFile(path, "jsonl", {}), source="demo")
    yield from serve(workspace, settings)


def add_choice(page: Page, elem_id: str, text: str) -> None:
    """Adds the option showing `text` to a multi-select dropdown: the input empties and the
    choice shows as a token of the dropdown."""
    picker = page.locator(f"#{elem_id} input")
    picker.click()
    picker.fill(text)
    option = page.locator("[role=option]:visible", has_text=text).first
    label = option.inner_text().replace("✓", "").strip()
    option.click()
    expect(page.locator(f"#{elem_id} .token").filter(has_text=label)).to_have_count(1)


def insights(app: RunningApp) -> Insights:
    return Insights(app.workspace.store)


def test_figures_filters_and_drill_down(insights_app: RunningApp, page: Page) -> None:
    ins = insights(insights_app)
    everything = ins.report(Filters())
    by_email = ins.report(Filters(channels=frozenset({"email"})))
    assert 0 < len(by_email.conversations) < len(everything.conversations)
    outage_alerts = [a for a in everything.alerts if a.key == "outage"]
    assert outage_alerts, "the planted spike raised no alert"

    sign_in(page, insights_app.url, "admin@demo")
    page.get_by_role("tab", name="Analyse").click()
    summary = page.locator("#insights-summary")
    expect(summary).to_contain_text(f"{len(everything.conversations)} conversations")
    expect(page.locator("#insights-drivers")).to_contain_text("Panne, coupure")
    expect(page.locator("#insights-alerts")).to_contain_text("Panne, coupure")
    expect(page.locator("#insights-by-stage")).to_contain_text("Client établi")
    screenshot(page, "7-insights")

    add_choice(page, "insights-channels", "email")
    page.keyboard.press("Escape")
    page.locator("#insights-apply").click()
    expect(summary).to_contain_text(f"{len(by_email.conversations)} conversations")

    # The drill-down by clicking a row is not covered here: a click on the drivers table's
    # cell does not reach Gradio's select event in headless Chromium (not yet found why);
    # the verbatims it shows are tested at the service level (tests/unit/analytics/).
    screenshot(page, "7-insights-filtered")

    page.locator("#language").get_by_text("English").click()
    expect(page.get_by_role("tab", name="Insights")).to_be_visible()
    expect(page.locator("#insights-drivers")).to_contain_text("Outage")


def test_every_table_exports_as_csv(insights_app: RunningApp, page: Page) -> None:
    sign_in(page, insights_app.url, "admin@demo")
    page.get_by_role("tab", name="Analyse").click()
    expect(page.locator("#insights-summary")).to_contain_text("conversations")
    page.locator("#insights-export").click()
    files = page.locator("#insights-files")
    for name in ("drivers", "stages", "segments", "channels", "languages", "topics", "alerts"):
        # Gradio shows a file's stem and its extension apart ("insights-drivers .csv").
        expect(files).to_contain_text(re.compile(rf"insights-{name}\s*\.csv"))


def test_the_exported_drivers_table_holds_the_figures(
    insights_app: RunningApp, tmp_path: Path
) -> None:
    ins = insights(insights_app)
    report = ins.report(Filters())
    paths = {p.name: p for p in ins.export(ins.tables(report, "en"), tmp_path)}
    lines = paths["insights-drivers.csv"].read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("driver,conversations,share_of_negative")
    assert len(lines) == 1 + len(report.drivers)
    assert any(line.startswith("Outage,") for line in lines[1:])
