"""Merge fields rendered safely, and the `ressenti marketing` command on a scripted model."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agents.cli import app
from agents.marketing import render
from agents.marketing.examples import EXAMPLES_DIR
from agents.marketing.schemas import Brief
from tests.unit.marketing.conftest import FLAGGED_BODY, proposal

runner = CliRunner()


def test_merge_fields_fallbacks_defaults_and_escaping() -> None:
    text = "Bonjour {{ first_name }}, à {{city|votre ville}} : {{offer_name}}."
    assert render.render(text, {"first_name": "Ana", "city": "Lyon"}, "fr") == (
        "Bonjour Ana, à Lyon : notre offre."
    )
    assert render.render(text, {"first_name": " ", "city": None}, "fr") == (
        "Bonjour chère cliente, cher client, à votre ville : notre offre."
    )
    assert render.render("Hi {{first_name}}", {}, "en") == "Hi there"
    html = render.render(
        "<p>{{first_name}}</p>", {"first_name": '<img src=x onerror="1">'}, "en", as_html=True
    )
    assert html == "<p>&lt;img src=x onerror=&quot;1&quot;&gt;</p>"
    assert render.unknown_fields("{{prenom}} {{first_name}} {{ x|y }}") == ["prenom", "x"]
    assert render.stray_braces("Bonjour {first_name}")
    assert not render.stray_braces("Bonjour {{first_name}}")


@pytest.mark.parametrize("name", ["fibre-2g-fidelite.fr.yaml", "mobile-bundle-reassurance.en.yaml"])
def test_the_example_briefs_are_valid(name: str) -> None:
    import yaml

    data = yaml.safe_load((EXAMPLES_DIR / name).read_text(encoding="utf-8"))
    brief = Brief.model_validate(data)
    assert brief.lang == name.split(".")[-2]
    assert brief.variants == 2


def test_a_bad_brief_is_refused_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "brief.yaml"
    bad.write_text("name: x\ngoal: y\noffer: z\ntarget_emotion: fear\nlang: fr\n")
    result = runner.invoke(app, ["marketing", "draft", "--brief", str(bad)])
    assert result.exit_code == 2
    assert "not a usable brief" in result.output and "target_emotion" in result.output


def _patch_service(monkeypatch: pytest.MonkeyPatch, harness: Any) -> None:
    """The command's root over the harness's data, scripted model, knowledge and clock."""
    import typer

    import agents.cli.marketing as command
    from agents.services.root import Overrides, Root

    deps = harness.service.deps

    def command_root(ctx: typer.Context, **_: Any) -> Root:
        root = Root(
            deps.settings, Overrides(llm=deps.llm, knowledge=deps.knowledge, clock=deps.clock)
        )
        ctx.call_on_close(root.close)
        return root

    monkeypatch.setattr(command, "command_root", command_root)


def test_draft_auto_approve_and_export(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    harness = make_harness(proposal(), proposal(subject="Merci, et plus vite"))
    _patch_service(monkeypatch, harness)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "marketing",
            "draft",
            "--brief",
            str(EXAMPLES_DIR / "fibre-2g-fidelite.fr.yaml"),
            "--auto-approve",
            "2",
            "--reviewer",
            "script",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "segment insight" in result.output and "V2" in result.output
    [folder] = list(out.iterdir())
    emails = sorted((folder / "eml").glob("*.eml"))
    assert emails
    parsed = email.message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Merci, et plus vite"
    assert parsed["X-Ressenti-Variant"] == "V2"


def test_auto_approving_a_flagged_variant_without_reason_is_refused(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    harness = make_harness(proposal(body=FLAGGED_BODY), proposal())
    _patch_service(monkeypatch, harness)
    out = tmp_path / "out"
    args = ["marketing", "draft", "--brief", str(EXAMPLES_DIR / "fibre-2g-fidelite.fr.yaml")]
    result = runner.invoke(app, [*args, "--auto-approve", "V1", "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "override" in result.output and "false_urgency" in result.output
    assert not out.exists()
