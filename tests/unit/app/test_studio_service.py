"""The studio form's helpers: the segment filter and the brief built from the fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.services.studio import brief_from_form, segment_filter


def test_the_segment_filter_keeps_filled_fields_and_splits_lists() -> None:
    assert segment_filter(
        segment="premium", language="", city="Paris, Lyon ", contract_kind=None
    ) == {
        "segment": "premium",
        "city": ["Paris", "Lyon"],
    }
    with pytest.raises(ValueError, match="unknown segment field"):
        segment_filter(religion="x")


def test_a_brief_from_the_form_and_a_clear_refusal() -> None:
    fields = {
        "name": "",
        "goal": "Présenter la fibre 2G.",
        "offer": "Lumio Fibre 2G",
        "offer_facts": "2 Gbit/s\n\n39,99 € par mois\n",
        "segment": {"segment": "premium"},
        "target_emotion": "gratitude",
        "lang": "fr",
        "tone": "vouvoiement\n",
        "variants": 2,
        "requested_by": "marketer@demo",
    }
    brief = brief_from_form(**fields)  # type: ignore[arg-type]
    assert brief.name == "Présenter la fibre 2G."  # the goal names an unnamed campaign
    assert brief.offer_facts == ["2 Gbit/s", "39,99 € par mois"]
    assert brief.tone == ["vouvoiement"]
    assert brief.requested_by == "marketer@demo"
    with pytest.raises(ValidationError, match="goal"):
        brief_from_form(**(fields | {"goal": "  ", "name": "x"}))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="variants"):
        brief_from_form(**(fields | {"variants": 9}))  # type: ignore[arg-type]
