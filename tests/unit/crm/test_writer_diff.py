"""The approval diff recorded with every edit."""

from __future__ import annotations

from agents.core.diff import edit_diff


def test_unchanged_text_has_an_empty_diff() -> None:
    assert edit_diff("Bonjour,\nC'est fait.", "Bonjour,\nC'est fait.") == ""


def test_edit_diff_shows_removed_and_added_lines() -> None:
    diff = edit_diff("Bonjour,\nVotre colis arrive.", "Bonjour Anne,\nVotre colis arrive.")
    lines = diff.splitlines()
    assert lines[:2] == ["--- draft", "+++ final"]
    assert "-Bonjour," in lines
    assert "+Bonjour Anne," in lines
    assert " Votre colis arrive." in lines
    assert diff.endswith("\n")
