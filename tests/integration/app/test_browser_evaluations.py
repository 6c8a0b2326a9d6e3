"""The evaluations tab in headless Chromium: a tester runs the marketing compliance suite
(the real check, no model) twice on a few cases, reads metrics, gates, figures and cases,
then compares the two stored runs."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from evals.store import RunStore
from tests.integration.app.conftest import RunningApp, choose, screenshot, sign_in


def run_suite(page: Page, suite: str, limit: int) -> str:
    choose(page, "suite", suite)
    page.locator("#limit input").fill(str(limit))
    page.locator("#run-suite").click()
    status = page.locator("#eval-status")
    done = re.compile(rf"Exécution\s+(\S+)\s+\({suite}, {limit} cas\)")
    expect(status).to_contain_text(done, timeout=60_000)
    found = done.search(status.inner_text())
    assert found, status.inner_text()
    return found.group(1)


def test_a_tester_runs_a_suite_and_compares_two_runs(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "tester@demo")
    expect(page.get_by_role("tab")).to_have_text(["Évaluations"])
    store = RunStore.from_settings(scripted_app.settings)
    before = {run.id for run in store.runs()}

    first = run_suite(page, "marketing_compliance", 6)
    expect(page.locator("#metrics")).to_contain_text("recall")
    expect(page.locator("#gates")).to_contain_text("recall")
    expect(page.locator("#gates td").first).to_have_text(re.compile("✓|✗"))
    expect(page.locator("#figures img").first).to_be_visible()
    expect(page.locator("#cases")).to_contain_text("latency_s")
    screenshot(page, "7-evaluations-run")

    second = run_suite(page, "marketing_compliance", 4)
    assert {run.id for run in store.runs()} - before == {first, second}
    assert len(store.get(first).records()) == 6

    choose(page, "run-a", first)
    choose(page, "run-b", second)
    page.locator("#compare-runs").click()
    verdict = page.locator("#compare-verdict")
    expect(verdict).to_contain_text(f"{first} → {second}")
    expect(verdict).to_contain_text("régression")
    expect(page.locator("#deltas")).to_contain_text("precision")
    expect(page.locator("#delta-figure img")).to_be_visible()
    assert (store.get(second).folder / f"compare-{first}.png").is_file()
    screenshot(page, "8-evaluations-compare")
