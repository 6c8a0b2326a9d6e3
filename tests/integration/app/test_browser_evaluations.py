"""The evaluations tab in headless Chromium: a tester runs the marketing compliance suite
(the real check, no model) on all its cases (the case count left empty) and on a few,
reads metrics, gates, figures and cases, then compares the two stored runs. The app's data
folder is outside the temporary directory, as in a default install: the figures are
served by the app's own file route, to the roles that may see them only."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from evals.store import RunStore
from tests.integration.app.conftest import RunningApp, choose, screenshot, sign_in


def run_suite(page: Page, suite: str, limit: int | None, expected: int) -> str:
    """Runs `suite` on `limit` cases (None: the field cleared, meaning all of them)."""
    choose(page, "suite", suite)
    page.locator("#limit input").fill("" if limit is None else str(limit))
    page.locator("#run-suite").click()
    status = page.locator("#eval-status")
    done = re.compile(rf"Exécution\s+(\S+)\s+\({suite}, {expected} cas\)")
    expect(status).to_contain_text(done, timeout=60_000)
    found = done.search(status.inner_text())
    assert found, status.inner_text()
    return found.group(1)


def test_a_tester_runs_a_suite_and_compares_two_runs(scripted_app: RunningApp, page: Page) -> None:
    sign_in(page, scripted_app.url, "tester@demo")
    expect(page.get_by_role("tab")).to_have_text(["Évaluations"])
    store = RunStore.from_settings(scripted_app.settings)
    before = {run.id for run in store.runs()}

    first = run_suite(page, "marketing_compliance", None, 16)
    expect(page.locator("#metrics")).to_contain_text("recall")
    expect(page.locator("#gates")).to_contain_text("recall")
    expect(page.locator("#gates td").first).to_have_text(re.compile("✓|✗"))
    expect(page.locator("#figures img").first).to_be_visible()
    expect(page.locator("#cases")).to_contain_text("latency_s")
    screenshot(page, "7-evaluations-run")

    expect(page.locator("#eval-status")).not_to_contain_text("minimum")
    figure = page.locator("#figures img").first
    source = figure.get_attribute("src")
    assert source and source.startswith("files/evaluations/"), source
    assert page.evaluate("(img) => img.naturalWidth", figure.element_handle()) > 100
    assert page.locator(".error, .toast-body").count() == 0  # no "Error" badge anywhere

    second = run_suite(page, "marketing_compliance", 4, 4)
    assert {run.id for run in store.runs()} - before == {first, second}
    assert len(store.get(first).records()) == 16

    choose(page, "run-a", first)
    choose(page, "run-b", second)
    page.locator("#compare-runs").click()
    verdict = page.locator("#compare-verdict")
    expect(verdict).to_contain_text(f"{first} → {second}")
    expect(verdict).to_contain_text("régression")
    expect(page.locator("#deltas")).to_contain_text("precision")
    expect(page.locator("#delta-figure img")).to_be_visible()
    delta = page.locator("#delta-figure img")
    assert page.evaluate("(img) => img.naturalWidth", delta.element_handle()) > 100
    assert (store.get(second).folder / f"compare-{first}.png").is_file()
    screenshot(page, "8-evaluations-compare")

    # The file route checks the session and the role, and serves only its own folder.
    url = f"{scripted_app.url}/{source}"
    answer = page.request.get(url)
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    outside = f"{scripted_app.url}/files/evaluations/..%2F..%2F..%2Fressenti.db"
    assert page.request.get(outside).status == 404
    with page.context.browser.new_context() as stranger:  # type: ignore[union-attr]
        assert stranger.request.get(url).status == 401
    sign_in(page, scripted_app.url, "agent@demo")
    expect(page.locator("#whoami")).to_contain_text("Alex Agent")
    assert page.request.get(url).status == 403
