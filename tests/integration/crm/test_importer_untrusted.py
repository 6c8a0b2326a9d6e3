"""Imported files are untrusted: bad encodings, oversize cells, broken quoting and deep JSON
are row issues with their line, never a crash; quoted line breaks are kept; nothing is
written on any error, and the store works as before afterwards. The fuzz tests (hypothesis,
bounded by the profile of tests/conftest.py) throw arbitrary bytes and near-valid files at
the importer on SQLite."""

from __future__ import annotations

import json
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tools.crm.importer as importer
from tools.crm.importer import ImportFailedError, import_files
from tools.crm.store import CRMStore

EXAMPLES = Path(importer.__file__).with_name("examples")
CUSTOMERS_HEADER = "id;email;first_name;last_name;language\n"
CONVERSATIONS_HEADER = "conversation_id;customer_id;channel;subject;author;sent_at;text\n"


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def _refused(store: CRMStore, paths: list[Path]) -> list[tuple[str, int, str, str]]:
    before = store.counts()
    with pytest.raises(ImportFailedError) as failure:
        import_files(store, paths)
    assert store.counts() == before  # nothing written
    return [(i.file, i.row, i.field, i.reason) for i in failure.value.issues]


def _store_still_works(store: CRMStore) -> None:
    """A valid import goes through after a refused one, and what it wrote reads back."""
    report = import_files(store, [EXAMPLES / "customers.csv", EXAMPLES / "orders.csv"])
    assert (report.customers, report.orders) == (3, 3)
    assert [o.id for o in store.scope("EXT-0001").orders()] == ["EXT-CMD-5001"]


def test_a_latin1_csv_is_an_issue_at_the_line_of_its_first_bad_byte(
    store: CRMStore, tmp_path: Path
) -> None:
    data = (CUSTOMERS_HEADER + "C1;a@b.fr;Anne;Dupont;fr\nC2;l@b.fr;Léa;Petit;fr\n").encode(
        "latin-1"
    )
    [(file, row, where, reason)] = _refused(store, [_write(tmp_path, "customers.csv", data)])
    assert (file, row, where) == ("customers.csv", 3, "(file)")
    assert "not UTF-8 text (byte 0xe9" in reason
    _store_still_works(store)


def test_a_non_utf8_json_is_an_issue_not_a_crash(store: CRMStore, tmp_path: Path) -> None:
    data = json.dumps({"customers": [{"id": "C1", "first_name": "Zoé"}]}, ensure_ascii=False)
    issues = _refused(store, [_write(tmp_path, "export.json", data.encode("utf-16"))])
    assert [(f, w) for f, _, w, _ in issues] == [("export.json", "(file)")]
    assert "not UTF-8" in issues[0][3]
    deep = _write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert [r for _, _, _, r in _refused(store, [deep])] == ["invalid JSON: nested too deep"]
    _store_still_works(store)


def test_a_cell_over_the_csv_limit_is_an_issue_at_its_line(store: CRMStore, tmp_path: Path) -> None:
    huge = "x" * (importer.MAX_CELL + 1)
    text = (
        CONVERSATIONS_HEADER
        + "V1;C1;email;Sujet;customer;2026-11-01T10:00:00+01:00;Bonjour\n"
        + f'V1;C1;email;Sujet;customer;2026-11-01T11:00:00+01:00;"{huge}"\n'
    )
    issues = _refused(store, [_write(tmp_path, "conversations.csv", text)])
    assert [i for i in issues if i[2] == "(row)"] == [
        (
            "conversations.csv",
            3,
            "(row)",
            f"unreadable CSV: a cell is longer than {importer.MAX_CELL} characters; "
            "reading stopped",
        )
    ]
    long_json = {
        "customers": [{"id": "C1", "email": "a@b.fr", "first_name": "A" * 101, "last_name": "B"}],
        "conversations": [
            {
                "id": "V1",
                "customer_id": "C1",
                "channel": "chat",
                "messages": [
                    {
                        "author": "customer",
                        "sent_at": "2026-11-01T10:00:00",
                        "text": "y" * (importer.MAX_MESSAGE + 1),
                    }
                ],
            }
        ],
    }
    issues = _refused(store, [_write(tmp_path, "export.json", json.dumps(long_json))])
    assert {(f, w) for f, _, w, _ in issues} >= {
        ("export.json:customers", "first_name"),
        ("export.json:conversations", "messages.0.text"),
    }
    _store_still_works(store)


def test_quoted_line_breaks_are_kept_and_rows_are_numbered_by_their_first_line(
    store: CRMStore, tmp_path: Path
) -> None:
    customers = _write(tmp_path, "customers.csv", CUSTOMERS_HEADER + "C1;a@b.fr;Anne;Dupont;fr\n")
    multi_line = "Bonjour,\r\nma box ne marche plus.\n\nMerci ; à bientôt"
    text = (
        CONVERSATIONS_HEADER
        + f'V1;C1;email;Box;customer;2026-11-01T10:00:00+01:00;"{multi_line}"\n'
        + "V1;C1;email;Box;agent;2026-11-01T11:00:00+01:00;Nous regardons.\n"
        + "\n"
        + "V1;C1;email;Box;chatbot;2026-11-01T12:00:00+01:00;Une ligne fausse.\n"
    )
    conversations = _write(tmp_path, "conversations.csv", text)
    issues = _refused(store, [customers, conversations])
    # the row after a four-line message and a blank line: line 2 + 4 lines + 1 + 1 = 8
    assert [(f, r, w) for f, r, w, _ in issues] == [("conversations.csv", 8, "author")]
    good = _write(tmp_path, "conversations.csv", text.rsplit("V1;C1;email;Box;chatbot", 1)[0])
    report = import_files(store, [customers, good])
    assert (report.conversations, report.messages) == (1, 2)
    [conversation] = store.scope("C1").conversations()
    assert [m.text for m in conversation.messages] == [multi_line, "Nous regardons."]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (CUSTOMERS_HEADER + 'C1;a@b.fr;"Anne"x;Dupont;fr\n', 2, "unreadable CSV"),
        (CUSTOMERS_HEADER + 'C1;a@b.fr;Anne;Dupont;fr\nC2;"b@b.fr;Bo;B;fr\n', 3, "unreadable CSV"),
        (CUSTOMERS_HEADER + "C1;a@b.fr;Anne;Dupont;fr;de trop\n", 2, "more cells than columns"),
        ("id;id;email\nC1;C1;a@b.fr\n", 1, "column names must be unique"),
        (CUSTOMERS_HEADER + "C\x001;a@b.fr;Anne;Dupont;fr\n", 2, "NUL character"),
        (
            CUSTOMERS_HEADER.replace("language", "language;value_eur") + "C1;a@b.fr;A;B;fr;1e30\n",
            2,
            "amount too large",
        ),
    ],
    ids=["text-after-quote", "unclosed-quote", "extra-cell", "duplicate-column", "nul", "huge"],
)
def test_malformed_rows_are_issues_with_their_line(
    store: CRMStore, tmp_path: Path, text: str, line: int, reason: str
) -> None:
    issues = _refused(store, [_write(tmp_path, "customers.csv", text)])
    assert [(f, r) for f, r, _, _ in issues] == [("customers.csv", line)]
    assert reason in issues[0][3]


# --- fuzzing --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ressenti-fuzz-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def fuzz_store(fuzz_folder: Path) -> Iterator[CRMStore]:
    """One SQLite store for every example (hypothesis calls the test many times)."""
    crm = CRMStore.from_url(f"sqlite:///{fuzz_folder / 'crm.db'}")
    yield crm
    crm.close()


def _import_is_all_or_nothing(store: CRMStore, paths: list[Path]) -> None:
    before = store.counts()
    try:
        report = import_files(store, paths)
    except ImportFailedError as failure:
        issues = failure.issues
        assert issues
        assert all(str(issue) for issue in issues)
        assert store.counts() == before
    else:
        after = store.counts()
        assert after["customers"] == before["customers"] + report.customers
        assert after["messages"] == before["messages"] + report.messages


COLUMNS = ["id", "email", "first_name", "last_name", "language", "segment", "value_eur"]
CELL = st.one_of(
    st.sampled_from(["C1", "a@b.fr", "fr", "en", "standard", "12,50", "", "Léa"]),
    st.text(alphabet=string.printable + "éà€’\u2028\x00", max_size=12),
)


@given(data=st.binary(max_size=600), name=st.sampled_from(["customers.csv", "export.json"]))
@settings(max_examples=40)
def test_fuzz_arbitrary_bytes(
    fuzz_store: CRMStore, fuzz_folder: Path, data: bytes, name: str
) -> None:
    _import_is_all_or_nothing(fuzz_store, [_write(fuzz_folder, name, data)])


@given(
    columns=st.lists(st.sampled_from([*COLUMNS, "x"]), min_size=1, max_size=8),
    rows=st.lists(st.lists(CELL, max_size=9), max_size=5),
    delimiter=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
    quote=st.booleans(),
)
@settings(max_examples=60)
def test_fuzz_near_valid_csv(
    fuzz_store: CRMStore,
    fuzz_folder: Path,
    columns: list[str],
    rows: list[list[str]],
    delimiter: str,
    encoding: str,
    quote: bool,
) -> None:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    text = "\n".join(delimiter.join(cell(c) for c in row) for row in [columns, *rows]) + "\n"
    data = text.encode(encoding, errors="replace")
    _import_is_all_or_nothing(fuzz_store, [_write(fuzz_folder, "customers-fuzz.csv", data)])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | CELL,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from([*COLUMNS, "messages", "text", "author"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


@given(
    document=st.dictionaries(
        st.sampled_from(["customers", "orders", "conversations", "other"]),
        st.lists(JSON_VALUES, max_size=3) | JSON_VALUES,
        max_size=3,
    )
)
@settings(max_examples=60)
def test_fuzz_near_valid_json(fuzz_store: CRMStore, fuzz_folder: Path, document: object) -> None:
    text = json.dumps(document, ensure_ascii=False)
    _import_is_all_or_nothing(fuzz_store, [_write(fuzz_folder, "export-fuzz.json", text)])


def test_after_the_fuzzing_the_store_still_imports_and_reads(fuzz_store: CRMStore) -> None:
    _store_still_works(fuzz_store)
