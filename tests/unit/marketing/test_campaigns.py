"""Campaigns through the marketing service: consent exclusion, the approval interrupt,
overrides recorded, export refused before approval, exported e-mails parsed back."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command
from sqlalchemy import select

from agents.marketing.schemas import CampaignDecision
from agents.marketing.service import (
    LegalPartsMissingError,
    MarketingError,
    NotApprovedError,
    NothingPendingError,
    OverrideRequiredError,
)
from tests.unit.marketing.conftest import brief, proposal
from tools.crm.audience import AudienceReader, SegmentFilterError
from tools.crm.models import Customer

FLAGGED = proposal(
    subject="Dernière chance pour la fibre 2G",
    body=(
        "Bonjour {{first_name}},\n\nDernière chance : la fibre 2G à 39,99 € par mois, "
        "c'est maintenant."
    ),
)


def _decide(harness: Any, campaign_id: str, **values: Any) -> Any:
    return harness.service.decide(campaign_id, CampaignDecision(**values))


def test_recipients_without_marketing_consent_are_excluded_and_counted(make_harness: Any) -> None:
    harness = make_harness(proposal(), proposal())
    with harness.store.reading() as session:
        everyone = list(session.scalars(select(Customer)))
    without = {c.id for c in everyone if not c.marketing_consent}
    vulnerable = {c.id for c in everyone if c.marketing_consent and c.vulnerable}
    assert without  # the demo company has customers who refused marketing

    audience = AudienceReader(harness.store).audience({})
    ids = {r.customer_id for r in audience.recipients}
    assert audience.matched == len(everyone)
    assert audience.excluded_no_consent == len(without)
    assert audience.excluded_vulnerable == len(vulnerable)
    assert not ids & without and not ids & vulnerable
    assert len(ids) == len(everyone) - len(without) - len(vulnerable)

    result = harness.service.draft(brief(segment={}))
    assert result.insight is not None
    assert result.insight.recipients == len(ids)
    assert result.insight.excluded_no_consent == len(without)
    assert result.insight.conversations > 0
    assert result.insight.dominant_emotions


def test_a_segment_filter_narrows_and_an_unknown_field_is_refused(make_harness: Any) -> None:
    harness = make_harness()
    reader = AudienceReader(harness.store)
    premium = reader.audience({"segment": "premium", "language": ["fr", "en"]})
    assert premium.matched < reader.audience({}).matched
    assert all(r.segment == "premium" for r in premium.recipients)
    with pytest.raises(SegmentFilterError, match="unknown segment field"):
        reader.audience({"religion": "x"})
    with pytest.raises(ValueError, match="unknown segment field"):
        brief(segment={"shoe_size": 42})


def test_a_draft_waits_for_approval_and_nothing_is_recorded_before(make_harness: Any) -> None:
    harness = make_harness(proposal(), FLAGGED)
    result = harness.service.draft(brief())
    assert result.status == "awaiting_approval"
    assert [v.variant_id for v in result.variants] == ["V1", "V2"]
    assert result.flags == {"V1": [], "V2": ["false_urgency"]}
    v1 = result.variants[0]
    assert v1.emotion == "gratitude" and v1.rationale
    assert "{{unsubscribe_url}}" in v1.body_text and "RCS" in v1.body_text
    assert "<p>" in v1.body_html and '<a href="{{cta_url}}"' in v1.body_html
    campaign = harness.service.campaign(result.campaign_id)
    assert campaign.status == "awaiting_approval"
    assert campaign.variants == [] and campaign.approvals == []
    assert harness.service.pending(result.campaign_id) is not None


def test_export_is_refused_for_an_unapproved_campaign(make_harness: Any, tmp_path: Path) -> None:
    harness = make_harness(proposal(), proposal())
    result = harness.service.draft(brief())
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(NotApprovedError, match="awaiting_approval"):
        harness.service.export(result.campaign_id, tmp_path)
    assert not any(tmp_path.iterdir())
    _decide(harness, result.campaign_id, action="reject", reviewer="claire")
    with pytest.raises(NotApprovedError, match="rejected"):
        harness.service.export(result.campaign_id, tmp_path)
    assert not any(tmp_path.iterdir())
    assert harness.service.campaign(result.campaign_id).approvals[-1].action == "reject"


def test_a_flagged_variant_needs_an_override_which_is_recorded(make_harness: Any) -> None:
    harness = make_harness(proposal(), FLAGGED)
    campaign_id = harness.service.draft(brief()).campaign_id
    with pytest.raises(OverrideRequiredError, match="false_urgency"):
        _decide(harness, campaign_id, action="approve", variant_id="V2", reviewer="claire")
    assert harness.service.campaign(campaign_id).status == "awaiting_approval"

    done = _decide(
        harness,
        campaign_id,
        action="approve",
        variant_id="V2",
        reviewer="claire",
        override_reason="Validé par le juridique : fin d'offre réelle au 30/11.",
    )
    assert done.status == "approved"
    record = harness.service.campaign(campaign_id)
    assert record.approved_variant_id == "V2"
    [approval] = record.approvals
    assert approval.reviewer == "claire"
    assert approval.override_reason == "Validé par le juridique : fin d'offre réelle au 30/11."
    assert approval.overridden_rules == ["false_urgency"]
    assert approval.created_at is not None
    assert done.outcome is not None and done.outcome.override is not None
    assert done.outcome.override.rules == ["false_urgency"]
    assert [v.variant_id for v in record.variants] == ["V1", "V2"]
    assert record.variants[1].flags[0]["rule"] == "false_urgency"


def test_the_graph_itself_refuses_a_flagged_approval_without_override(make_harness: Any) -> None:
    from langgraph.types import Command

    harness = make_harness(proposal(), FLAGGED)
    service = harness.service
    campaign_id = service.draft(brief()).campaign_id
    decision = CampaignDecision(action="approve", variant_id="V2", reviewer="x")
    service.graph.invoke(
        Command(resume=decision.model_dump(mode="json")),
        config=service._config(campaign_id),
        context=service.deps,
    )
    request = service.pending(campaign_id)
    assert request is not None
    assert request.notice is not None
    assert request.notice.kind == "override_required"
    assert "false_urgency" in request.notice.rules
    assert service.campaign(campaign_id).approvals == []


def test_an_edit_is_rechecked_and_its_diff_recorded(make_harness: Any) -> None:
    harness = make_harness(proposal(), proposal())
    result = harness.service.draft(brief())
    v1 = result.variants[0]
    body, footer = v1.body_text.split("-- \n")
    broken = f"{body}Vous le regretterez.\n\n-- \n{footer}"
    with pytest.raises(OverrideRequiredError, match="guilt_or_fear"):
        _decide(harness, result.campaign_id, action="edit", variant_id="V1", body_text=broken)
    fixed = v1.body_text.replace("Merci de votre fidélité.", "Merci d'être avec nous.")
    done = _decide(
        harness, result.campaign_id, action="edit", variant_id="V1", body_text=fixed, reviewer="léa"
    )
    assert done.status == "approved"
    record = harness.service.campaign(result.campaign_id)
    assert record.approved_variant_id == "V1-edit"
    assert "+Merci d'être avec nous." in record.approvals[-1].diff.replace("\n", " ")
    assert record.approvals[-1].override_reason is None


def test_no_reason_lifts_a_missing_sender_identification_or_unsubscribe(
    make_harness: Any, tmp_path: Path
) -> None:
    harness = make_harness(proposal(), FLAGGED)
    result = harness.service.draft(brief())
    v2 = result.variants[1]
    bare = v2.body_text.split("-- \n")[0]  # the legal footer removed
    flags = harness.service.edit_flags(result.campaign_id, v2.subject, bare)
    assert {"missing_legal_mentions", "missing_unsubscribe", "false_urgency"} <= {
        f.rule for f in flags
    }
    with pytest.raises(LegalPartsMissingError) as refused:
        _decide(
            harness,
            result.campaign_id,
            action="edit",
            variant_id="V2",
            body_text=bare,
            override_reason="Validé.",
        )
    assert refused.value.rules == ["missing_legal_mentions", "missing_unsubscribe"]
    # The graph refuses it too, whoever resumes it.
    decision = CampaignDecision(
        action="edit", variant_id="V2", body_text=bare, override_reason="Validé.", reviewer="x"
    )
    service = harness.service
    service.graph.invoke(
        Command(resume=decision.model_dump(mode="json")),
        config=service._config(result.campaign_id),
        context=service.deps,
    )
    request = service.pending(result.campaign_id)
    assert request is not None and request.notice is not None
    assert request.notice.kind == "not_overridable"

    # With the footer kept, the reason overrides the rest; the export says what and why.
    reason = "Fin d'offre réelle au 30/11, validé par le juridique."
    done = _decide(
        harness,
        result.campaign_id,
        action="edit",
        variant_id="V2",
        body_text=v2.body_text.replace("c'est maintenant", "à découvrir"),
        override_reason=reason,
        reviewer="claire",
    )
    assert done.outcome is not None and done.outcome.variant is not None
    assert done.outcome.variant.variant_id == "V2-edit"
    assert "à découvrir" in done.outcome.variant.body_text
    report = service.export(result.campaign_id, tmp_path)
    manifest = json.loads(report.manifest.read_text())
    assert manifest["approved_variant"] == "V2-edit"
    assert [f["rule"] for f in manifest["flags"]] == ["false_urgency"]
    assert manifest["overridden"] == [
        {
            "rule": "false_urgency",
            "reason": reason,
            "reviewer": "claire",
            "at": manifest["overridden"][0]["at"],
        }
    ]


def test_drafting_reports_each_variant_as_it_comes(make_harness: Any) -> None:
    harness = make_harness(proposal(), FLAGGED)
    seen: list[tuple[int, int]] = []
    result = harness.service.draft(brief(), on_variant=lambda done, of: seen.append((done, of)))
    assert seen == [(1, 2), (2, 2)]
    assert [v.variant_id for v in result.variants] == ["V1", "V2"]


def test_another_round_redrafts_with_the_instruction_then_is_bounded(make_harness: Any) -> None:
    harness = make_harness(proposal(), proposal(), proposal(), proposal())
    first = harness.service.draft(brief())
    second = _decide(
        harness, first.campaign_id, action="another_round", instruction="Plus court.", reviewer="a"
    )
    assert second.status == "awaiting_approval" and second.round == 2
    assert [v.variant_id for v in second.variants] == ["V3", "V4"]
    assert "Plus court." in str(harness.model.calls[-1].messages[-1].content)
    third = _decide(harness, first.campaign_id, action="another_round", instruction="Encore.")
    assert third.round == 2 and third.notice is not None
    assert (third.notice.kind, third.notice.rounds) == ("round_limit", 2)  # max_rounds = 2
    done = _decide(harness, first.campaign_id, action="approve", variant_id="V3")
    assert done.status == "approved"
    record = harness.service.campaign(first.campaign_id)
    assert [a.action for a in record.approvals] == ["another_round", "approve"]
    assert len(record.variants) == 4


def test_an_invalid_variant_is_retried_once_then_reported(make_harness: Any) -> None:
    bad = proposal(body="Trop court.")
    unknown = proposal(body="Bonjour {{prenom}}, " + "voici notre nouvelle offre fibre. " * 3)
    harness = make_harness(bad, proposal(), unknown, unknown)
    result = harness.service.draft(brief())
    assert [v.variant_id for v in result.variants] == ["V1"]
    [failure] = result.failures
    assert failure.index == 2 and "prenom" in failure.problem
    assert "Corrige" in str(harness.model.calls[1].messages[-1].content)
    assert len(harness.model.calls) == 4
    assert result.status == "awaiting_approval"


def test_a_failing_model_is_reported_not_raised(make_harness: Any) -> None:
    harness = make_harness("not json", "still not json", "{}", "{}")
    result = harness.service.draft(brief())
    assert result.status == "awaiting_approval"
    assert result.variants == []
    assert [f.index for f in result.failures] == [1, 2]
    assert all("VariantProposal" in f.problem for f in result.failures)
    with pytest.raises(MarketingError, match="unknown variant"):
        _decide(harness, result.campaign_id, action="approve", variant_id="V1")
    assert _decide(harness, result.campaign_id, action="reject").status == "rejected"


def test_the_llm_review_runs_when_enabled(make_harness: Any) -> None:
    review = json.dumps(
        {
            "issues": [
                {"rule": "guilt_or_fear", "quote": "Merci de votre fidélité", "explanation": "?"}
            ]
        }
    )
    harness = make_harness(proposal(), review, llm_compliance=True)
    result = harness.service.draft(brief(variants=1))
    assert [(f.rule, f.source) for f in result.variants[0].flags] == [("guilt_or_fear", "llm")]


def test_nothing_pending_is_refused(make_harness: Any) -> None:
    harness = make_harness(proposal())
    campaign_id = harness.service.draft(brief(variants=1)).campaign_id
    _decide(harness, campaign_id, action="approve", variant_id="V1")
    with pytest.raises(NothingPendingError):
        _decide(harness, campaign_id, action="reject")


def test_export_writes_well_formed_emails_for_the_segment_at_send_time(
    make_harness: Any, tmp_path: Path
) -> None:
    harness = make_harness(proposal())
    result = harness.service.draft(brief(segment={"language": "fr"}, variants=1))
    _decide(harness, result.campaign_id, action="approve", variant_id="V1", reviewer="claire")
    recipients = AudienceReader(harness.store).audience({"language": "fr"}).recipients
    assert len(recipients) >= 2

    # Consent withdrawn after approval: the export follows the segment as it is now.
    withdrawn = recipients[0]
    with harness.store.transaction() as session:
        row = session.get(Customer, withdrawn.customer_id)
        assert row is not None
        row.marketing_consent = False
        row.first_name = "Zoé <script>"
        updated = session.get(Customer, recipients[1].customer_id)
        assert updated is not None
        updated.first_name = "Zoé & <b>Co</b>"

    report = harness.service.export(result.campaign_id, tmp_path)
    assert len(report.emails) == len(recipients) - 1
    assert not (report.folder / "eml" / f"{withdrawn.customer_id}.eml").exists()
    assert [p.name for p in report.previews] == ["V1.html"]
    manifest = json.loads(report.manifest.read_text())
    assert manifest["recipients"] == len(recipients) - 1
    assert manifest["excluded_no_consent"] >= 1

    path = report.folder / "eml" / f"{recipients[1].customer_id}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == recipients[1].email
    assert message["Subject"] == "Votre fibre passe à 2 Gbit/s"
    assert message["List-Unsubscribe"].startswith("<https://")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Ressenti-Campaign"] == result.campaign_id
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Bonjour Zoé & <b>Co</b>,")  # plain text: the value as is
    assert "Bonjour Zoé &amp; &lt;b&gt;Co&lt;/b&gt;," in html  # HTML: escaped
    assert "{{" not in text and "{{" not in html
    assert "https://www.lumio.example/offres" in text
    assert "désinscrivez-vous" in text and "RCS Paris" in html

    record = harness.service.campaign(result.campaign_id)
    assert record.status == "exported"
    assert record.recipients == len(recipients) - 1
    preview = report.previews[0].read_text()
    assert "<html" in preview and "{{" not in preview
