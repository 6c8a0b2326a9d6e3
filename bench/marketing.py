"""Marketing studio costs outside the model: segment insight over the CRM, the compliance
code rules, and export throughput (render + `.eml` per recipient).

    python -m bench.marketing [--customers 1000] [--repeat 20]

The model is an instant scripted one (the real server's cost is the number of calls:
one per variant, one more per retry, one per LLM review). Prints medians of one run, and
the ratio of a whole draft (graph, checkpoints, records) to its insight step.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agents.core.config import Settings
from agents.llm.client import LLMClient
from agents.marketing.compliance import check_email
from agents.marketing.insight import segment_insight
from agents.marketing.render import body_text
from agents.marketing.schemas import Brief, CampaignDecision
from agents.services.root import Overrides, Root
from bench.common import median_ms
from tools.crm.seed import DEMO_NOW, seed_demo
from tools.kb.search import RetrievalResult

PROPOSAL = json.dumps(
    {
        "subject": "Votre fibre passe à 2 Gbit/s",
        "preheader": "Lumio Fibre 2G",
        "body": "Bonjour {{first_name}},\n\nMerci de votre fidélité. Lumio Fibre 2G : "
        "2 Gbit/s pour 39,99 € par mois.",
        "call_to_action": "Découvrir",
        "emotion": "gratitude",
        "rationale": "Fidélité d'abord.",
    },
    ensure_ascii=False,
)
FACTS = ["Lumio Fibre 2G : 2 Gbit/s, 39,99 € par mois, engagement 12 mois."]


class _NoKnowledge:
    def search(
        self, query: str, *, lang: str | None = None, k: int | None = None
    ) -> RetrievalResult:
        return RetrievalResult(query, (), 0.22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = Settings(data_dir=root, marketing_llm_compliance=False, _env_file=None)
        model = GenericFakeChatModel(messages=iter([AIMessage(PROPOSAL)] * (args.repeat + 2)))
        ressenti = Root(
            settings,
            Overrides(
                llm=LLMClient(settings, model),
                knowledge=_NoKnowledge(),
                clock=lambda: DEMO_NOW,
            ),
        )
        seed_demo(ressenti.store, customers=args.customers)
        service = ressenti.marketing
        reader = service.audiences

        def insight() -> object:
            audience = reader.audience({})
            moods = reader.recent_conversations(
                [r.customer_id for r in audience.recipients], DEMO_NOW - timedelta(days=365)
            )
            return segment_insight(audience, moods, "fr", "gratitude")

        insight_ms = median_ms(insight, args.repeat)
        audience = reader.audience({})
        print(
            f"insight over {args.customers} customers ({len(audience.recipients)} recipients): "
            f"median {insight_ms:.1f} ms"
        )
        text = body_text(
            "Bonjour {{first_name}},\n\nDernière chance : 50 % de remise.", "Voir", "fr"
        )
        check_ms = median_ms(
            lambda: check_email("Objet", text, offer_facts=FACTS, segment_filter={}, lang="fr"),
            args.repeat * 10,
        )
        print(f"compliance code rules, one e-mail: median {check_ms:.2f} ms")

        brief = Brief(
            name="bench",
            goal="g",
            offer="Lumio Fibre 2G",
            target_emotion="gratitude",
            lang="fr",
            variants=1,
            offer_facts=FACTS,
        )
        draft_ms = median_ms(lambda: service.draft(brief), max(3, args.repeat // 4))
        print(
            f"whole draft, 1 variant, instant model: median {draft_ms:.1f} ms "
            f"({draft_ms / insight_ms:.2f}x the insight step)"
        )
        campaign_id = service.draft(brief).campaign_id
        service.decide(campaign_id, CampaignDecision(action="approve", variant_id="V1"))
        start = time.perf_counter()
        report = service.export(campaign_id, root / "out")
        seconds = time.perf_counter() - start
        print(
            f"export {len(report.emails)} e-mails: {seconds:.2f} s "
            f"({len(report.emails) / seconds:.0f} e-mails/s, render + .eml + records)"
        )
        ressenti.close()


if __name__ == "__main__":
    main()
