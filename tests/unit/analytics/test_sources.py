"""Input files of `ressenti analyze`: formats, mapping, and bad input refused with where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.analytics.sources import InputError, InputFile, messages, parse_mapping, validate

MAPPING = "id=Ref,text=Verbatim,conversation=Conv,time=When,author=Who"


def _csv(tmp_path: Path, body: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_csv_with_a_mapping_gives_messages_in_file_order(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "Ref,Verbatim,Conv,When,Who,Extra\n"
        '1,"Mon colis, enfin !",c1,2026-11-01T10:00:00,client,x\n'
        "2,Nous regardons.,c1,1761991200,agent,y\n",
    )
    source = InputFile(path, "csv", parse_mapping(MAPPING))
    checked = validate(source)
    found = list(messages(source))
    assert checked.messages == 2
    assert len(checked.sha256) == 64
    assert [m.external_id for m in found] == ["1", "2"]
    assert found[0].text == "Mon colis, enfin !"
    assert found[0].author == "customer"
    assert found[1].author == "agent"
    assert found[0].conversation_key == found[1].conversation_key == "c1"
    assert found[0].sent_at is not None and found[0].sent_at.tzinfo is not None
    assert found[1].sent_at is not None and found[1].sent_at.year == 2025


def test_an_unknown_column_in_the_mapping_is_named_with_the_header(tmp_path: Path) -> None:
    path = _csv(tmp_path, "Ref,Verbatim\n1,bonjour\n")
    with pytest.raises(InputError) as caught:
        validate(InputFile(path, "csv", parse_mapping("id=Ref,text=Texte")))
    message = str(caught.value)
    assert "unknown column(s) 'Texte'" in message
    assert "Ref, Verbatim" in message


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(InputError, match="unknown field 'texte'"):
        parse_mapping("texte=Verbatim")


def test_non_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,text\n1,bonjour\n2,déjà vu\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"line 3: not UTF-8 \(byte 0xe9"):
        validate(InputFile(path, "csv", {}))


def test_an_empty_text_is_refused_with_its_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,text\n1,bonjour\n2,   \n3,merci\n")
    with pytest.raises(InputError, match=r"row 2 \(line 3\): empty text"):
        validate(InputFile(path, "csv", {}))


def test_duplicate_ids_are_all_listed_with_the_first_place(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,text\n1,a\n2,b\n1,c\n2,d\n")
    with pytest.raises(InputError) as caught:
        validate(InputFile(path, "csv", {}))
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "row 3 (line 4): duplicate id '1' (first at row 1 (line 2))",
        "row 4 (line 5): duplicate id '2' (first at row 2 (line 3))",
    ]


def test_a_row_with_missing_cells_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,text,channel\n1,a,chat\n2,b\n")
    with pytest.raises(InputError, match=r"row 2 \(line 3\): 2 cells where the header has 3"):
        validate(InputFile(path, "csv", {}))


def test_jsonl_lines_and_their_errors(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": 1, "text": "Internet is down", "lang": "en", "segment": "Premium"},
        {"id": 2, "text": "Encore une panne", "conversation": "k", "escalated": "oui"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    found = list(messages(InputFile(path, "jsonl", {})))
    assert [(m.external_id, m.lang, m.segment) for m in found] == [
        ("1", "en", "premium"),
        ("2", None, None),
    ]
    assert found[1].escalated is True
    path.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": "x", "lang": "de"}\n')
    with pytest.raises(InputError, match="line 2: unsupported lang 'de'"):
        validate(InputFile(path, "jsonl", {}))
    path.write_text('{"id": 1, "text": "ok"}\nnot json\n')
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        validate(InputFile(path, "jsonl", {}))


def chatwoot_export() -> dict[str, object]:
    """The shape of Chatwoot's conversation list (`data.payload`), with what a real export
    holds besides the exchanges: an activity, a private note, an attachment alone."""
    return {
        "data": {
            "meta": {"all_count": 1},
            "payload": [
                {
                    "id": 42,
                    "status": "resolved",
                    "labels": ["escalated"],
                    "meta": {
                        "sender": {"id": 7, "email": "lea@example.fr", "type": "contact"},
                        "channel": "Channel::WebWidget",
                    },
                    "messages": [
                        {
                            "id": 1001,
                            "content": "Mon colis est perdu !",
                            "message_type": 0,
                            "created_at": 1761991200,
                            "private": False,
                            "sender": {"type": "contact"},
                        },
                        {
                            "id": 1002,
                            "content": "Conversation was assigned",
                            "message_type": 2,
                            "created_at": 1761991260,
                            "private": False,
                        },
                        {
                            "id": 1003,
                            "content": "note interne",
                            "message_type": 1,
                            "created_at": 1761991300,
                            "private": True,
                            "sender": {"type": "user"},
                        },
                        {
                            "id": 1004,
                            "content": None,
                            "message_type": 0,
                            "created_at": 1761991310,
                            "private": False,
                            "attachments": [{"file_type": "image"}],
                        },
                        {
                            "id": 1005,
                            "content": "Je relance le transporteur.",
                            "message_type": 1,
                            "created_at": 1761991400,
                            "private": False,
                            "sender": {"type": "user"},
                        },
                    ],
                }
            ],
        }
    }


def test_a_chatwoot_export_keeps_the_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "chatwoot.json"
    path.write_text(json.dumps(chatwoot_export()), encoding="utf-8")
    found = list(messages(InputFile(path, "chatwoot", {})))
    assert [(m.external_id, m.author) for m in found] == [("1001", "customer"), ("1005", "agent")]
    assert {m.conversation_key for m in found} == {"42"}
    assert {m.channel for m in found} == {"chat"}
    assert found[0].customer_ref == "lea@example.fr"
    assert found[0].escalated is True


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty file"):
        validate(InputFile(_csv(tmp_path, ""), "csv", {}))
    with pytest.raises(InputError, match="no message to analyse"):
        validate(InputFile(_csv(tmp_path, "id,text\n"), "csv", {}))
