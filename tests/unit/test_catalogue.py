"""Bilingual catalogues: both languages must hold the same keys and the same placeholders."""

from __future__ import annotations

import pytest

from agents.core.catalogue import Catalogue, CatalogueError, placeholders


def test_texts_are_looked_up_and_filled_in() -> None:
    texts = Catalogue.from_yaml(
        "t",
        'fr:\n  hello: "Bonjour {name}"\n  "yes": oui\n'
        'en:\n  hello: "Hello {name}"\n  "yes": "yes"\n',
    )
    assert texts.text("hello", "en", name="Ada") == "Hello Ada"
    assert texts.text("yes", "fr") == "oui"
    assert texts["fr"]["hello"] == "Bonjour {name}"
    assert texts.text_or("emotion.awe", "fr", "awe") == "awe"
    with pytest.raises(CatalogueError, match="no key 'nope'"):
        texts.text("nope", "fr")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("fr:\n  a: x\n  b: y\nen:\n  a: x\n", r"only in 'fr': \['b'\]"),
        ('fr:\n  a: "{n} jours"\nen:\n  a: "{count} days"\n', r"\['n'\] in 'fr' but \['count'\]"),
        ("fr:\n  a: x\n", "no 'en' mapping"),
        ("fr:\n  yes: oui\nen:\n  yes: yes\n", r"keys \['True'\] are not strings"),
        ("fr:\n  a: [x]\nen:\n  a: x\n", r"not a text: \['a'\]"),
        ('fr:\n  a: "{oops"\nen:\n  a: x\n', "malformed braces"),
    ],
    ids=["missing-key", "placeholder-mismatch", "missing-language", "bare-yes", "list", "braces"],
)
def test_a_catalogue_whose_languages_disagree_is_refused_at_load(raw: str, error: str) -> None:
    with pytest.raises(CatalogueError, match=error):
        Catalogue.from_yaml("t", raw)


def test_literal_braces_and_formats_are_not_placeholders() -> None:
    assert placeholders("Désinscription : {{unsubscribe_url}}") == frozenset()
    assert placeholders("{date:%d/%m/%Y} et {n}") == {"date", "n"}
