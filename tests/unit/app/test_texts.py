"""The UI's labels and the command line's are data, complete in both languages."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from agents.cli.texts import catalogue as cli_catalogue
from agents.core.lang import LANGS, Lang
from agents.emotion.taxonomy import LABELS
from agents.marketing.compliance import RULE_IDS
from agents.marketing.schemas import TARGET_EMOTIONS, CampaignStatus, Notice
from agents.services.playground import StatusReport
from agents.support.graph import STAGE_OF_NODE
from agents.support.schemas import CheckFinding, Outcome
from ui.i18n import LANGUAGES, catalogue, emotion_name, lang_of, t
from ui.messages import notice_text, status_text

ROOT = Path(__file__).resolve().parents[3]


def _literal_keys(folder: Path, function_names: set[str], method_names: set[str]) -> set[str]:
    """Keys passed as literals to `t(...)`, `say(...)` or `labels.label/value(...)`."""
    keys: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id in function_names:
                args = node.args[:1]
            elif isinstance(node.func, ast.Attribute) and node.func.attr in method_names:
                args = node.args[1:]
            else:
                continue
            keys |= {
                a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    return keys


def test_every_label_the_ui_asks_for_exists() -> None:
    used = _literal_keys(ROOT / "ui", {"t", "_label"}, {"label", "value"})
    assert len(used) > 100
    signin = _literal_keys(ROOT / "web", {"t"}, set())  # the sign-in page
    assert {"signin_heading", "signin_throttled", "bad_credentials"} <= signin
    used |= signin
    assert sorted(used - catalogue().keys()) == []


def test_every_label_the_command_line_asks_for_exists() -> None:
    used = _literal_keys(ROOT / "agents" / "cli", {"say", "_label"}, set())
    assert {"phone", "vulnerable"} <= used
    assert sorted(used - cli_catalogue().keys()) == []


def test_every_code_the_ui_names_has_a_label() -> None:
    keys = catalogue().keys()
    families = {
        "emotion.": LABELS,
        "finding.": get_args(CheckFinding.model_fields["kind"].annotation),
        "rule.": RULE_IDS,
        "target.": TARGET_EMOTIONS,
        "campaign_": get_args(CampaignStatus),
        "notice_": get_args(Notice.model_fields["kind"].annotation),
        "model_": get_args(get_type_hints(StatusReport)["state"]),
        "outcome_": get_args(Outcome),
        "stage_": ("queued", *sorted(set(STAGE_OF_NODE.values()))),
    }
    for prefix, codes in families.items():
        assert codes, prefix
        assert sorted(f"{prefix}{code}" for code in codes if f"{prefix}{code}" not in keys) == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_switch_names_each_language_in_itself(lang: Lang) -> None:
    assert lang_of(t("language_name", lang)) == lang
    assert LANGUAGES == ["Français", "English"]
    assert emotion_name("anxiety", "fr") == "inquiétude"
    assert emotion_name("a-new-label", lang) == "a-new-label"


def test_service_facts_are_worded_in_the_ui_language() -> None:
    flagged = Notice(kind="override_required", variant_id="V2", rules=["false_urgency"])
    assert notice_text(flagged, "fr").startswith("V2 a des alertes de conformité (fausse urgence)")
    assert notice_text(flagged, "en").startswith("V2 has compliance flags (false urgency)")
    limit = Notice(kind="round_limit", rounds=2)
    assert notice_text(limit, "en") == "The limit of 2 rounds is reached: pick, edit or reject."
    wrong = StatusReport("not_served", "smollm2", "http://127.0.0.1:8300/v1", served=[])
    assert status_text(wrong, "fr").endswith("(il sert : rien).")
    assert status_text(wrong, "en").endswith("(it serves: nothing).")
