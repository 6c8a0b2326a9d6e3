"""Imports on SQLite and PostgreSQL: all rows or none, with a row-level report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tools.crm.importer as importer
from tools.crm.importer import ImportFailedError, ImportIssue, import_files
from tools.crm.store import CRMStore

EXAMPLES = Path(importer.__file__).with_name("examples")
EXAMPLE_FILES = [*sorted(EXAMPLES.glob("*.csv")), EXAMPLES / "company-export.json"]


def test_example_files_import_completely(store: CRMStore) -> None:
    report = import_files(store, EXAMPLE_FILES)
    assert (report.customers, report.orders, report.conversations, report.messages) == (5, 4, 3, 7)
    counts = store.counts()
    assert counts["customers"] == 5
    assert counts["orders"] == 4
    assert counts["messages"] == 7
    hannah = store.find_customer("hannah.price@example.com")
    assert (hannah.language, hannah.segment, hannah.value_cents) == ("en", "premium", 129000)
    assert hannah.emotion_analysis_consent is False
    scope = store.scope(hannah.id)
    [order] = scope.orders()
    assert (order.id, order.total_cents, order.deliveries[0].carrier) == (
        "EXT-CMD-5003",
        12900,
        "Chronopost",
    )
    [conversation] = scope.conversations()
    assert [m.author for m in conversation.messages] == ["customer", "agent", "customer"]
    assert conversation.language == "en"  # taken from the customer
    lea = store.find_customer("EXT-0101")
    assert lea.first_name == "Léa"
    assert lea.marketing_consent is True
    grant = store.find_customer("EXT-0102")
    assert grant.value_cents == 216000  # "2 160,00" read as French-formatted euros


def test_one_bad_row_rejects_every_file_and_reports_it(store: CRMStore, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for path in EXAMPLE_FILES:
        shutil.copy(path, exports / path.name)
    orders = exports / "orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines()
    # Line 3 (second order): an unknown status and an amount that is not a number.
    lines[2] = lines[2].replace(";delayed;249,00;", ";perdu;deux cents;")
    orders.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportFailedError) as failure:
        import_files(store, sorted(exports.iterdir()))
    issues = failure.value.issues
    assert {(i.file, i.row, i.field) for i in issues} == {
        ("orders.csv", 3, "status"),
        ("orders.csv", 3, "total_eur"),
    }
    assert any("54.90" in i.reason for i in issues if i.field == "total_eur")
    # Nothing at all was written, not even the valid customers and conversations.
    assert all(count == 0 for count in store.counts().values())


def test_references_duplicates_and_existing_ids_are_reported(
    store: CRMStore, tmp_path: Path
) -> None:
    import_files(store, [EXAMPLES / "customers.csv"])
    before = store.counts()
    (tmp_path / "customers-new.csv").write_text(
        "id,email,first_name,last_name,language,segment\n"
        "EXT-0001,nouvelle@exemple.fr,Nina,Nouvelle,fr,standard\n"
        "EXT-0900,camille.roussel@exemple.fr,Camille,Copie,fr,standard\n"
        "EXT-0901,a@exemple.fr,Ana,Un,de,standard\n"
        "EXT-0902,a@exemple.fr,Ana,Deux,fr,gold\n",
        encoding="utf-8",
    )
    (tmp_path / "orders-new.csv").write_text(
        "id,customer_id,placed_at,status,total_eur\n"
        "EXT-CMD-7001,EXT-4040,2026-11-01T10:00:00+01:00,placed,10\n"
        "EXT-CMD-7002,EXT-0002,hier,placed,10\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailedError) as failure:
        import_files(store, [tmp_path / "customers-new.csv", tmp_path / "orders-new.csv"])
    found = {(i.file, i.row, i.field): i.reason for i in failure.value.issues}
    assert found[("customers-new.csv", 2, "id")] == "customer EXT-0001 already exists"
    assert found[("customers-new.csv", 3, "email")] == "another customer has this e-mail"
    assert "'fr' or 'en'" in found[("customers-new.csv", 4, "language")]
    assert "standard" in found[("customers-new.csv", 5, "segment")]
    assert found[("orders-new.csv", 2, "customer_id")] == "unknown customer EXT-4040"
    assert "ISO 8601" in found[("orders-new.csv", 3, "placed_at")]
    assert store.counts() == before


def test_a_failure_during_the_write_rolls_everything_back(
    store: CRMStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if a conflict slips past the checks (another writer, a race), the one
    transaction leaves nothing behind: customers inserted before the failing order row
    are rolled back with it."""
    import_files(store, [EXAMPLES / "customers.csv", EXAMPLES / "orders.csv"])
    before = store.counts()
    (tmp_path / "customers-more.csv").write_text(
        "id,email,first_name,last_name,language\nEXT-0500,zoe@exemple.fr,Zoé,Martin,fr\n",
        encoding="utf-8",
    )
    (tmp_path / "orders-more.csv").write_text(
        "id,customer_id,placed_at,status,total_eur\n"
        "EXT-CMD-5001,EXT-0500,2026-11-01T10:00:00+01:00,placed,10\n",  # id already taken
        encoding="utf-8",
    )
    monkeypatch.setattr(importer, "_check", lambda store, parsed: None)
    with pytest.raises(ImportFailedError) as failure:
        import_files(store, [tmp_path / "customers-more.csv", tmp_path / "orders-more.csv"])
    [issue] = failure.value.issues
    assert issue.file == "(database)"
    assert store.counts() == before
    with pytest.raises(Exception, match="EXT-0500"):
        store.find_customer("EXT-0500")


def test_dry_run_checks_but_writes_nothing(store: CRMStore) -> None:
    report = import_files(store, EXAMPLE_FILES, dry_run=True)
    assert report.dry_run
    assert report.customers == 5
    assert store.counts()["customers"] == 0


def test_issue_reads_as_a_sentence() -> None:
    assert str(ImportIssue("orders.csv", 3, "status", "bad")) == "orders.csv, row 3, status: bad"


def test_large_import_then_reimport_reports_every_existing_row(
    store: CRMStore, tmp_path: Path
) -> None:
    rows = [
        f"BULK-{n:05d};bulk{n}@exemple.fr;Prénom{n};Nom{n};{'en' if n % 7 == 0 else 'fr'}"
        for n in range(1200)
    ]
    export = tmp_path / "customers-bulk.csv"
    export.write_text("id;email;first_name;last_name;language\n" + "\n".join(rows) + "\n")
    assert import_files(store, [export]).customers == 1200
    with pytest.raises(ImportFailedError) as failure:
        import_files(store, [export])
    assert len(failure.value.issues) == 2400  # id and e-mail, for every row
    assert store.counts()["customers"] == 1200
