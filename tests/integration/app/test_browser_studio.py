"""The marketing studio in headless Chromium over a scripted model: a marketer drafts a
campaign (one clean variant, one with false urgency), edits the flagged one while its flags
are listed live, cannot approve it without the legal footer whatever the reason, is
refused without a reason, approves the edited text with an override, exports it, and the
zip holds the edited text with its flags and the reason per overridden rule."""

from __future__ import annotations

import json
import re
import zipfile
from email import message_from_bytes
from email.policy import default as email_policy

from playwright.sync_api import Page, expect

from tests.integration.app.conftest import OFFER_FACTS, RunningApp, choose, screenshot, sign_in
from tools.crm.campaigns import CampaignRecords


def test_a_marketer_drafts_approves_with_override_and_exports(
    scripted_app: RunningApp, page: Page
) -> None:
    sign_in(page, scripted_app.url, "marketer@demo")
    expect(page.get_by_role("tab")).to_have_text(["Studio marketing"])
    page.locator("#draft-campaign").click()  # an empty brief: said field by field
    status = page.locator("#studio-status")
    expect(status).to_contain_text("Objectif : obligatoire")
    expect(status).not_to_contain_text("String should")
    page.locator("#brief-name textarea, #brief-name input").first.fill("Fibre 2G premium")
    page.locator("#brief-goal textarea").fill("Présenter la fibre 2G aux clients premium.")
    page.locator("#brief-facts textarea").fill(OFFER_FACTS)
    choose(page, "seg-segment", "premium")
    page.locator("#draft-campaign").click()

    expect(status).to_contain_text("à approuver", timeout=60_000)
    campaign_id = re.search(r"CP-[0-9A-F]+", status.inner_text())
    assert campaign_id, status.inner_text()
    expect(page.locator("#insight")).to_contain_text("Destinataires")
    expect(page.locator("#insight-plot img")).to_be_visible()
    cards = page.locator("#variants .variant")
    expect(cards).to_have_count(2)
    assert [c.get_attribute("data-variant") for c in cards.all()] == ["V1", "V2"]
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
    subject = page.locator("#edit-subject textarea, #edit-subject input").first
    expect(subject).to_have_value(re.compile("Dernière chance"))
    body = page.locator("#edit-body textarea")
    original = body.input_value()
    live = page.locator("#edit-flags")
    expect(live).to_contain_text("fausse urgence")

    # Without the legal footer: listed live, and no reason lifts it.
    body.fill("Dernière chance : la fibre 2G à 39,99 € par mois.")
    expect(live).to_contain_text("désinscription absente — obligatoire")
    reason = page.locator("#override-reason textarea, #override-reason input").first
    reason.fill("Offre réellement limitée, validé par le juridique.")
    page.locator("#edit-approve-variant").click()
    expect(status).to_contain_text("aucun motif ne permet")
    record = CampaignRecords(scripted_app.workspace.store).get(campaign_id.group(0))
    assert record.status == "awaiting_approval"

    edited = original.replace("c'est maintenant ou jamais pour votre foyer", "à découvrir")
    assert edited != original
    body.fill(edited)
    expect(live).not_to_contain_text("désinscription")
    expect(live).to_contain_text("fausse urgence")
    reason.fill("")
    page.locator("#edit-approve-variant").click()
    expect(status).to_contain_text("motif de dérogation")  # the service refused it
    reason.fill("Offre réellement limitée, validé par le juridique.")
    page.locator("#edit-approve-variant").click()
    expect(status).to_contain_text("approuvée")
    # What is shown approved is the edited text, with its flags and the override.
    approved = page.locator(f'#variants [data-variant="{flagged_id}-edit"]')
    expect(approved.locator(".approved")).to_be_visible()
    expect(approved).to_contain_text("à découvrir")
    expect(approved).to_contain_text("fausse urgence")
    expect(approved).to_contain_text("validé par le juridique")
    expect(page.locator("#variants")).not_to_contain_text("aucune alerte de conformité")

    page.locator("#export-campaign").click()
    expect(status).to_contain_text("exportée")
    link = page.locator("#export-file a")
    expect(link).to_have_attribute("href", re.compile(rf"{campaign_id.group(0)}\.zip$"))
    screenshot(page, "5b-studio-exported")

    with page.expect_download() as download:  # the browser really downloads the zip
        link.click()
    with zipfile.ZipFile(download.value.path()) as packed:
        names = packed.namelist()
        manifest = json.loads(packed.read("manifest.json"))
        first_email = message_from_bytes(
            packed.read(next(n for n in names if n.endswith(".eml"))), policy=email_policy
        )
    assert manifest["approved_variant"] == f"{flagged_id}-edit"
    assert "false_urgency" in {f["rule"] for f in manifest["flags"]}
    assert {o["rule"]: o["reason"] for o in manifest["overridden"]} == {
        "false_urgency": "Offre réellement limitée, validé par le juridique."
    }
    text = first_email.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert "à découvrir" in text.get_content()  # the edited text is what is sent
    record = CampaignRecords(scripted_app.workspace.store).get(campaign_id.group(0))
    assert record.status == "exported"
    assert record.approved_variant_id == f"{flagged_id}-edit"
    # Served by the app's file route (the data folder is outside the temporary
    # directory), to the roles whose tab offers it only.
    href = link.get_attribute("href")
    assert href and href.startswith("files/exports/")
    sign_in(page, scripted_app.url, "tester@demo")
    expect(page.locator("#whoami")).to_contain_text("tester")
    assert page.request.get(f"{scripted_app.url}/{href}").status == 403
