"""`ressenti crm …` end to end on a SQLite file in a temporary data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"RESSENTI_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}


def test_seed_then_show_a_customer_by_id_and_by_email(env: dict[str, str]) -> None:
    seeded = runner.invoke(app, ["crm", "seed", "--customers", "8", "--seed", "5"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "Demo company seeded" in seeded.output

    card = runner.invoke(app, ["crm", "show", "C00003"], env=env)
    assert card.exit_code == 0, card.output
    assert "C00003" in card.output
    assert "Contrats" in card.output

    listing = runner.invoke(app, ["crm", "list", "--limit", "8"], env=env)
    email = next(word for word in listing.output.split() if "@" in word and "…" not in word)
    by_email = runner.invoke(app, ["crm", "show", email.upper(), "--lang", "en"], env=env)
    assert by_email.exit_code == 0, by_email.output
    assert "Contracts" in by_email.output
    assert email in by_email.output

    again = runner.invoke(app, ["crm", "seed", "--customers", "8"], env=env)
    assert again.exit_code == 0
    assert "already holds 8 customers" in again.output


def test_show_unknown_customer_fails_clearly(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["crm", "show", "personne@nulle-part.fr"], env=env)
    assert result.exit_code == 1
    assert "no customer with id or e-mail 'personne@nulle-part.fr'" in result.output


def test_import_reports_bad_rows_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_text(
        "id;email;first_name;last_name;language\n"
        "X1;x1@exemple.fr;Ada;Un;fr\n"
        "X2;pas-une-adresse;Bob;Deux;fr\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["crm", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert "Import refused: nothing written" in result.output
    assert "not an e-mail address" in result.output
    listing = runner.invoke(app, ["crm", "list"], env=env)
    assert "X1" not in listing.output

    bad.write_text(bad.read_text().replace("pas-une-adresse", "bob@exemple.fr"))
    ok = runner.invoke(app, ["crm", "import", str(bad)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "Imported 2 customers" in ok.output


def test_migrate_reports_the_revision(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["crm", "migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert "empty -> 0009" in result.output
