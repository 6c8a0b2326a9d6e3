"""Reading inbound mail: quoted history and signatures (French and English), HTML,
attachments, threading ids, and mail that cannot be read."""

from __future__ import annotations

import random
from email.message import EmailMessage

import pytest

from agents.channels.imap import attachments_line
from agents.channels.mailparse import (
    UnreadableMailError,
    html_to_text,
    identify,
    message_ids,
    parse_mail,
    strip_history,
    thread_subject,
)


def mail(text: str = "Bonjour", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Camille Martin <Camille.Martin@Exemple.fr>")
    message["To"] = "support@lumio.example"
    message["Subject"] = headers.pop("Subject", "Où est mon colis ?")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@exemple.fr>")
    message.set_content(text)
    for name, value in headers.items():  # after the content, which resets Content-* headers
        message[name.replace("_", "-")] = value
    return message


# --- quoted history ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Merci, c'est noté.\n\nLe mer. 2 déc. 2026 à 10:00, Lumio <support@lumio.example> a"
            " écrit :\n> Bonjour,\n> votre colis est en route.",
            "Merci, c'est noté.",
        ),
        (  # the attribution wrapped over two lines, as Gmail writes it
            "D'accord.\n\nLe mer. 2 déc. 2026 à 10:00, Lumio <support@lumio.example> a\n"
            "écrit :\n\n> Bonjour,",
            "D'accord.",
        ),
        (
            "Thanks, that works.\n\nOn Wed, 2 Dec 2026 at 10:00, Lumio <support@lumio.example>"
            " wrote:\n> Hello,\n> your parcel is on its way.",
            "Thanks, that works.",
        ),
        (
            "Toujours rien.\n\n-----Message d'origine-----\nDe : Lumio\nEnvoyé : mardi\nTexte",
            "Toujours rien.",
        ),
        (
            "Still nothing.\n\nFrom: Lumio Support <support@lumio.example>\nSent: Tuesday\n"
            "To: me\nSubject: Re: parcel\n\nHello, ...",
            "Still nothing.",
        ),
        (  # an answer written between quoted lines keeps the customer's lines only
            "> Pouvez-vous confirmer l'adresse ?\n12 rue des Lilas, Lyon\n> Et le code ?\nB12",
            "12 rue des Lilas, Lyon\nB12",
        ),
    ],
)
def test_quoted_history_is_not_read(text: str, expected: str) -> None:
    assert strip_history(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour,\nmon colis ?\n-- \nCamille Martin\nLyon", "Bonjour,\nmon colis ?"),
        ("Hello,\nwhere is it?\n\nSent from my iPhone", "Hello,\nwhere is it?"),
        ("Bonjour,\noù est-il ?\n\nEnvoyé de mon iPhone", "Bonjour,\noù est-il ?"),
        (
            "Bonjour,\nma facture est fausse.\n\nCordialement,\nCamille Martin\n06 12 34 56 78",
            "Bonjour,\nma facture est fausse.\n\nCordialement,",
        ),
        (
            "Hello,\nmy invoice is wrong.\n\nBest regards,\nJohn Smith\nACME Ltd",
            "Hello,\nmy invoice is wrong.\n\nBest regards,",
        ),
    ],
)
def test_signatures_are_not_read(text: str, expected: str) -> None:
    assert strip_history(text) == expected


def test_a_closing_followed_by_more_text_is_left_alone() -> None:
    # Conservative: what follows "Merci," is the message itself, not a signature.
    text = (
        "Merci,\nmais je voudrais aussi savoir pourquoi ma commande CMD-1001 a été facturée deux"
        " fois alors que je n'ai reçu qu'un seul colis la semaine dernière."
    )
    assert strip_history(text) == text


# --- HTML --------------------------------------------------------------------------------
def test_html_is_turned_into_text_without_scripts_styles_or_quoted_blocks() -> None:
    markup = (
        "<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<p>Bonjour,</p><p>mon colis <b>CMD-1001</b>&nbsp;n&#39;est pas arriv&eacute;.<br>"
        "Merci</p><script>alert(1)</script>"
        '<div class="gmail_quote">Le mar. a écrit :<blockquote>Bonjour, votre colis'
        "<blockquote>imbriqué</blockquote></blockquote></div>"
        "<table><tr><td>Réf.</td><td>CMD-1001</td></tr></table></body></html>"
    )
    assert html_to_text(markup) == (
        "Bonjour,\n\nmon colis CMD-1001 n'est pas arrivé.\nMerci\n\nRéf. CMD-1001"
    )


def test_an_html_only_mail_is_read_and_a_plain_part_is_preferred() -> None:
    html_only = EmailMessage()
    html_only["From"] = "camille@exemple.fr"
    html_only["Message-ID"] = "<h@exemple.fr>"
    html_only.set_content("<p>Où est <i>mon</i> colis ?</p>", subtype="html")
    assert parse_mail(bytes(html_only)).text == "Où est mon colis ?"

    both = mail("La version texte.")
    both.add_alternative("<p>La version HTML.</p>", subtype="html")
    parsed = parse_mail(bytes(both))
    assert parsed.text == "La version texte."
    assert parsed.attachments == ()  # the other alternative is not an attachment


# --- attachments -------------------------------------------------------------------------
def test_attachments_are_listed_not_read() -> None:
    message = mail("Voici la facture.")
    message.add_attachment(
        b"%PDF-1.4 secret content" * 100,
        maintype="application",
        subtype="pdf",
        filename="facture-2026-11.pdf",
    )
    message.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="photo.png")
    parsed = parse_mail(bytes(message))
    assert parsed.text == "Voici la facture."
    assert [(a.name, a.content_type, a.size) for a in parsed.attachments] == [
        ("facture-2026-11.pdf", "application/pdf", 2300),
        ("photo.png", "image/png", 8),
    ]
    assert "secret content" not in parsed.text
    assert attachments_line(parsed.attachments, "fr") == (
        "[Pièces jointes, non lues : facture-2026-11.pdf (application/pdf, 2 Ko),"
        " photo.png (image/png, 8 octets)]"
    )
    assert attachments_line(parsed.attachments, "en").startswith(
        "[Attachments, not read: facture-2026-11.pdf (application/pdf, 2 KB)"
    )


# --- headers -----------------------------------------------------------------------------
def test_sender_subject_language_and_thread_ids() -> None:
    parsed = parse_mail(
        bytes(
            mail(
                "Merci",
                Subject="RE : TR: Re: Où est mon colis ?",
                In_Reply_To="<r2@lumio.example>",
                References="<m0@exemple.fr>  <r1@lumio.example>\t<r2@lumio.example>",
                Content_Language="fr-FR",
            )
        )
    )
    assert (parsed.sender_email, parsed.sender_name) == (
        "camille.martin@exemple.fr",
        "Camille Martin",
    )
    assert parsed.subject == "Où est mon colis ?"
    assert parsed.lang == "fr"
    assert parsed.message_id == "m1@exemple.fr"
    assert parsed.root_id == "m0@exemple.fr"
    assert parsed.thread_ids == ("r2@lumio.example", "r1@lumio.example", "m0@exemple.fr")
    assert not parsed.automatic


def test_ids_without_references_a_long_id_and_a_mail_without_one() -> None:
    alone = parse_mail(bytes(mail("Bonjour")))
    assert alone.root_id == "m1@exemple.fr" and alone.thread_ids == ()
    long_id = "x" * 300 + "@exemple.fr"
    [hashed] = message_ids(f"<{long_id}>")
    assert hashed.startswith("sha256:") and len(hashed) <= 200
    assert message_ids(f"<{long_id}>") == (hashed,)  # the same every time

    raw = bytes(mail("Bonjour")).replace(b"Message-ID: <m1@exemple.fr>\n", b"")
    without = parse_mail(raw)
    assert without.message_id.startswith("sha256:")
    assert parse_mail(raw).message_id == without.message_id  # fetched again: the same id


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply: yes"]
)
def test_automatic_mail_is_recognised(header: str) -> None:
    name, value = header.split(": ")
    assert parse_mail(bytes(mail("Absent", **{name.replace("-", "_"): value}))).automatic


def test_reply_prefixes_are_removed_from_a_subject() -> None:
    assert thread_subject("Re: RE : Fwd: TR : Facture") == "Facture"
    assert thread_subject("Réclamation") == "Réclamation"
    # A subject that decodes to several lines stays one line (no header injection).
    assert (
        thread_subject("Facture\r\nBcc: victime@example.com") == "Facture Bcc: victime@example.com"
    )
    raw = (
        b"From: a@b.example\r\nSubject: =?utf-8?q?Facture=0D=0ABcc:_x@y.example?=\r\n\r\nhello\r\n"
    )
    assert parse_mail(raw).subject == "Facture Bcc: x@y.example"


# --- mail that cannot be read ------------------------------------------------------------
def test_unreadable_mail_says_why() -> None:
    with pytest.raises(UnreadableMailError, match="sender"):
        parse_mail(b"Subject: hi\r\n\r\nhello\r\n")
    with pytest.raises(UnreadableMailError, match="sender"):
        parse_mail(b"From: a@b.example, c@d.example\r\n\r\nhello\r\n")
    with pytest.raises(UnreadableMailError, match="unknown charset"):
        parse_mail(
            b"From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n"
        )
    with pytest.raises(UnreadableMailError, match="not valid utf-8"):
        parse_mail(
            b"From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\narriv\xe9\r\n"
        )
    with pytest.raises(UnreadableMailError, match="no text"):
        parse_mail(b"From: a@b.example\r\n\r\n\r\n")
    assert identify(b"From: A <a@b.example>\r\nMessage-ID: <z@b>\r\n\r\n") == (
        "z@b",
        "A <a@b.example>",
    )


def test_a_declared_latin1_mail_is_read() -> None:
    raw = (
        "From: a@b.example\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nMon colis n'est pas arrivé.\r\n"
    ).encode("latin-1")
    assert parse_mail(raw).text == "Mon colis n'est pas arrivé."


def test_damaged_mail_never_raises_anything_else() -> None:
    """Bounded fuzz: bytes flipped, cut or inserted at random in a real mail either read
    or give `UnreadableMailError`, never another exception (the poller never crashes)."""
    message = mail("Bonjour,\n\nmon colis ?\n\n-- \nCamille")
    message.add_alternative("<p>Bonjour, <b>mon colis</b> ?</p>", subtype="html")
    message.add_attachment(b"data", maintype="application", subtype="pdf", filename="f.pdf")
    original = bytes(message)
    rng = random.Random(20261202)
    outcomes = {"read": 0, "unreadable": 0}
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(damaged))
            action = rng.random()
            if action < 0.4:
                damaged[at] = rng.randrange(256)
            elif action < 0.7:
                del damaged[at : at + rng.randint(1, 40)]
            else:
                damaged[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        try:
            parse_mail(bytes(damaged))
            outcomes["read"] += 1
        except UnreadableMailError:
            outcomes["unreadable"] += 1
    assert outcomes["read"] > 0 and outcomes["unreadable"] > 0, outcomes
