"""Knowledge gaps from the live turns: questions no passage answered, drafts people
rejected, rewrote or heavily edited, grouped by the driver they mention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agents.services.insights import Insights
from tools.crm.models import Approval, Conversation, Customer, Message, Turn
from tools.crm.store import CRMStore

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
DRAFT = "Bonjour, votre facture de novembre est disponible dans votre espace client."


def test_gaps_are_grouped_by_driver_with_examples(tmp_path: Path) -> None:
    store = CRMStore.from_url(f"sqlite:///{tmp_path / 'crm.db'}")
    rows: list[object] = [
        Customer(
            id="C1",
            email="a@example.fr",
            first_name="A",
            last_name="B",
            language="fr",
            segment="standard",
            created_at=T0 - timedelta(days=300),
        ),
        Conversation(
            id="CV1",
            customer_id="C1",
            channel="email",
            language="fr",
            subject="Facture",
            started_at=T0,
            status="with_human",
        ),
    ]
    questions = [
        "Pourquoi ma facture a-t-elle augmenté de 10 euros ?",
        "J'ai été prélevé deux fois sur la facture de novembre.",
        "Ma box ne fonctionne plus, panne depuis hier.",
        "Quel est le délai de rétractation ?",
        "Facture incompréhensible, que veut dire la ligne « frais de service » ?",
    ]
    for n, question in enumerate(questions, start=1):
        rows.append(
            Message(
                id=n,
                conversation_id="CV1",
                customer_id="C1",
                author="customer",
                channel="email",
                sent_at=T0 + timedelta(minutes=n),
                text=question,
            )
        )
    rows += [
        Turn(
            id="T1",
            conversation_id="CV1",
            message_id=1,
            status="to_human",
            handoff={"reasons": [{"rule": "low_retrieval_confidence"}]},
            created_at=T0,
            updated_at=T0,
        ),
        Turn(
            id="T3",
            conversation_id="CV1",
            message_id=3,
            status="to_human",
            handoff={"reasons": [{"rule": "low_retrieval_confidence"}, {"rule": "anger"}]},
            created_at=T0,
            updated_at=T0,
        ),
        Turn(
            id="T4",
            conversation_id="CV1",
            message_id=4,
            status="to_human",
            handoff={"reasons": [{"rule": "asks_for_human"}]},
            created_at=T0,
            updated_at=T0,
        ),
        Approval(
            conversation_id="CV1",
            customer_id="C1",
            message_id=2,
            decision="reject",
            reviewer="agent@demo",
            draft_text=DRAFT,
            created_at=T0,
        ),
        Approval(
            conversation_id="CV1",
            customer_id="C1",
            message_id=5,
            decision="edit",
            reviewer="agent@demo",
            draft_text=DRAFT,
            created_at=T0,
            final_text="Les frais de service correspondent à l'option Sérénité, 2 €/mois.",
        ),
        Approval(
            conversation_id="CV1",
            customer_id="C1",
            message_id=4,
            decision="edit",
            reviewer="agent@demo",
            draft_text=DRAFT,
            created_at=T0,
            final_text=DRAFT.replace("Bonjour", "Bonjour Anne"),
        ),  # a light edit
    ]
    store.insert_all(rows)  # type: ignore[arg-type]
    gaps = {g.topic: g for g in Insights(store).knowledge_gaps()}
    store.close()
    assert set(gaps) == {"billing", "outage"}
    billing = gaps["billing"]
    assert (billing.questions, billing.no_passage, billing.rejected, billing.edited) == (3, 1, 1, 1)
    assert questions[0] in billing.examples
    assert gaps["outage"].no_passage == 1
