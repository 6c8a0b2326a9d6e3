"""The marketing studio in headless Chromium over a scripted model: a marketer drafts a
campaign (one clean variant, one with false urgency), is refused approving the flagged one
without a reason, approves it with an override, exports, and the zip is there."""

from __future__ import annotations

import re
import zipfile

from playwright.sync_api import Page, expect

from tests.integration.app.conftest import OFFER_FACTS, RunningApp, choose, screenshot, sign_in
from tools.crm.campaigns import CampaignRecords


def test_a_marketer_drafts_approves_with_override_and_exports(
    scripted_app: RunningApp, page: Page
) -> None:
    sign_in(page, scripted_app.url, "marketer@demo")
    expect(page.get_by_role("tab")).to_have_text(["Studio marketing"])
    page.locator("#brief-name textarea, #brief-name input").first.fill("Fibre 2G premium")
    page.locator("#brief-goal textarea").fill("Présenter la fibre 2G aux clients premium.")
    page.locator("#brief-facts textarea").fill(OFFER_FACTS)
    choose(page, "seg-segment", "premium")
    page.locator("#draft-campaign").click()

    status = page.locator("#studio-status")
    expect(status).to_contain_text("à approuver", timeout=60_000)
    campaign_id = re.search(r"CP-[0-9A-F]+", status.inner_text())
    assert campaign_id, status.inner_text()
    expect(page.locator("#insight")).to_contain_text("Destinataires")
    expect(page.locator("#insight-plot img")).to_be_visible()
    cards = page.locator("#variants .variant")
    expect(cards).to_have_count(2)
    flagged = page.locator("#variants .variant:has(.flag:not(.ok))")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("fausse urgence")
    expect(page.locator("#variants .variant:has(.flag.ok)")).to_contain_text("Merci de votre")
    preview = page.frame_locator("#variants iframe").first.locator("body")
    expect(preview).to_contain_text("Merci de votre fidélité")  # the HTML part, rendered
    screenshot(page, "5a-studio-variants")

    flagged_id = flagged.get_attribute("data-variant")
    assert flagged_id
    choose(page, "pick-variant", flagged_id)
    page.get_by_text("Modifier la variante choisie").click()
    expect(page.locator("#edit-subject textarea, #edit-subject input").first).to_have_value(
        re.compile("Dernière chance")
    )
    page.locator("#approve-variant").click()
    expect(status).to_contain_text("motif de dérogation")  # the service refused it

    page.locator("#override-reason textarea, #override-reason input").first.fill(
        "Offre réellement limitée, validé par le juridique."
    )
    page.locator("#approve-variant").click()
    expect(status).to_contain_text("approuvée")
    expect(page.locator(f'#variants [data-variant="{flagged_id}"] .approved')).to_be_visible()

    page.locator("#export-campaign").click()
    expect(status).to_contain_text("exportée")
    link = page.locator("#export-file a")
    expect(link).to_have_attribute("href", re.compile(rf"{campaign_id.group(0)}\.zip$"))
    screenshot(page, "5b-studio-exported")

    with page.expect_download() as download:  # the browser really downloads the zip
        link.click()
    with zipfile.ZipFile(download.value.path()) as packed:
        names = packed.namelist()
    assert "manifest.json" in names
    assert any(name.endswith(".eml") for name in names)
    record = CampaignRecords(scripted_app.workspace.store).get(campaign_id.group(0))
    assert record.status == "exported"
    assert record.approved_variant_id == flagged_id
    # Served by the app's file route (the data folder is outside the temporary
    # directory), to the roles whose tab offers it only.
    href = link.get_attribute("href")
    assert href and href.startswith("files/exports/")
    sign_in(page, scripted_app.url, "tester@demo")
    expect(page.locator("#whoami")).to_contain_text("tester")
    assert page.request.get(f"{scripted_app.url}/{href}").status == 403
