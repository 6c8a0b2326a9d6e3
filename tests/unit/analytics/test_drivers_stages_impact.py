"""Drivers (taxonomy as data), journey stages from CRM facts, and impact with intervals."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from agents.analytics.drivers import DriverTaxonomy, fold, packaged_taxonomy
from agents.analytics.impact import (
    ConversationFigures,
    driver_impacts,
    group_kpis,
    mean_difference,
    proportion_difference,
)
from agents.analytics.stages import JourneyCache, StageRules, packaged_rules
from tools.crm.analysis import CustomerJourney

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_fold_removes_accents_case_and_curly_apostrophes() -> None:
    assert fold("Déjà  REÇU l’avoir") == "deja recu l'avoir"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon colis n'est toujours pas arrivé", {"delivery"}),
        ("My parcel never arrived", {"delivery"}),
        ("On m'a prélevé deux fois sur la facture", {"billing"}),
        ("I was overcharged on my bill", {"billing"}),
        ("Plus d'internet depuis hier, panne totale", {"outage"}),
        ("Je vais résilier et aller chez un concurrent", {"termination"}),
        ("Bonjour, tout va bien", set()),
    ],
)
def test_the_shipped_taxonomy_reads_both_languages(text: str, expected: set[str]) -> None:
    found = set(packaged_taxonomy().drivers_of(text))
    assert expected <= found
    if not expected:
        assert found == set()


def test_phrases_match_at_word_starts_only() -> None:
    taxonomy = DriverTaxonomy.from_yaml(
        "drivers:\n  outage:\n    label: {fr: Panne, en: Outage}\n"
        "    phrases: {fr: [panne], en: [down]}\n"
    )
    assert taxonomy.drivers_of("En PANNE") == ["outage"]
    assert taxonomy.drivers_of("downtown") == ["outage"]  # a word start, as documented
    assert taxonomy.drivers_of("sundown") == []


def test_a_driver_without_both_labels_is_refused() -> None:
    with pytest.raises(ValueError, match="label in fr and en"):
        DriverTaxonomy.from_yaml("drivers:\n  x:\n    label: {fr: X}\n    phrases: {fr: [x]}\n")


def journey(**changes: object) -> CustomerJourney:
    base: dict[str, object] = {
        "customer_id": "C1",
        "segment": "standard",
        "emotion_analysis_consent": True,
        "created_at": NOW - timedelta(days=400),
        "contract_statuses": ("active",),
        "orders": (),
        "deliveries_on": (),
        "invoices": (),
    }
    base.update(changes)
    return CustomerJourney(**base)  # type: ignore[arg-type]


def test_stages_follow_the_rules_in_order() -> None:
    rules = packaged_rules()
    assert rules.stage_of(None, NOW) == "unknown"
    assert rules.stage_of(journey(), NOW) == "established"
    assert rules.stage_of(journey(contract_statuses=("terminated",)), NOW) == "termination_notice"
    in_transit = journey(orders=((NOW - timedelta(days=3), ("in_transit",)),))
    assert rules.stage_of(in_transit, NOW) == "order_in_transit"
    # The same order placed after the message does not count.
    later = journey(orders=((NOW + timedelta(days=1), ("in_transit",)),))
    assert rules.stage_of(later, NOW) == "established"
    delivered = journey(deliveries_on=(date(2026, 11, 15),))
    assert rules.stage_of(delivered, NOW) == "after_delivery"
    assert rules.stage_of(journey(invoices=((date(2026, 11, 15), "paid"),)), NOW) == (
        "billing_cycle"
    )
    assert rules.stage_of(journey(invoices=((date(2026, 6, 1), "disputed"),)), NOW) == (
        "billing_dispute"
    )
    assert rules.stage_of(journey(created_at=NOW - timedelta(days=10)), NOW) == "new_customer"
    assert rules.title("after_delivery", "fr") == "Après la livraison"


def test_a_rule_with_an_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown condition"):
        StageRules.from_yaml(
            "default: a\nunknown: b\nrules:\n  - {stage: c, colour: [red]}\n"
            "labels: {a: {fr: a, en: a}, b: {fr: b, en: b}, c: {fr: c, en: c}}\n"
        )


def test_the_journey_cache_is_bounded() -> None:
    asked: list[str] = []

    def lookup(ref: str) -> CustomerJourney | None:
        asked.append(ref)
        return None

    cache = JourneyCache(lookup, size=2)
    for ref in ["a", "b", "a", "c", "b", "a"]:
        cache.get(ref)
    assert asked == ["a", "b", "c", "b", "a"]


def test_mean_difference_matches_welch_by_hand() -> None:
    a = [-0.8, -0.6, -0.4, -0.6]
    b = [0.2, 0.0, 0.4, 0.2, 0.2]
    diff = mean_difference(a, b)
    var_a = sum((x + 0.6) ** 2 for x in a) / 3
    var_b = sum((x - 0.2) ** 2 for x in b) / 4
    assert diff.value == pytest.approx(-0.8)
    assert diff.margin == pytest.approx(1.959964 * math.sqrt(var_a / 4 + var_b / 5))
    assert mean_difference([1.0], [0.0, 1.0]).margin is None


def test_proportion_difference() -> None:
    diff = proportion_difference([True, True, False, False], [False] * 6 + [True] * 2)
    assert diff.value == pytest.approx(0.25)
    assert diff.margin == pytest.approx(1.959964 * math.sqrt(0.25 / 4 + 0.1875 / 8))
    assert diff.text(digits=0, scale=100, unit=" pts").startswith("+25 pts (±")


def _conversation(
    key: str, end: float, effort: float, drivers: set[str], escalated: bool, stage: str = "s"
) -> ConversationFigures:
    return ConversationFigures(
        key=key,
        end_valence=end,
        lowest_valence=min(end, 0.1),
        mean_effort=effort,
        escalated=escalated,
        recovery_minutes=None,
        drivers=frozenset(drivers),
        stage=stage,
        segment="standard",
        channel="chat",
        lang="fr",
    )


def test_driver_impact_compares_with_and_without() -> None:
    conversations = [
        _conversation("1", -0.6, 0.6, {"delivery"}, True, "in_transit"),
        _conversation("2", -0.4, 0.4, {"delivery"}, False, "in_transit"),
        _conversation("3", 0.4, 0.0, set(), False),
        _conversation("4", 0.2, 0.2, {"billing"}, False),
    ]
    impacts = {i.driver: i for i in driver_impacts(conversations, ["delivery", "billing", "x"])}
    assert set(impacts) == {"delivery", "billing"}
    delivery = impacts["delivery"]
    assert delivery.conversations == 2
    assert delivery.share == pytest.approx(0.5)
    assert delivery.negative_share == pytest.approx(1.0)
    assert delivery.end_valence == pytest.approx(-0.5)
    assert delivery.end_valence_diff.value == pytest.approx(-0.8)
    assert delivery.effort_diff.value == pytest.approx(0.4)
    assert delivery.escalation_diff.value == pytest.approx(0.5)
    stages = {k.group: k for k in group_kpis(conversations, lambda c: c.stage)}
    assert stages["in_transit"].conversations == 2
    assert stages["in_transit"].escalation_rate == pytest.approx(0.5)
    assert stages["s"].end_valence == pytest.approx(0.3)
