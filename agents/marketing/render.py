"""E-mail content without the model: the legal footer, the HTML body, and merge fields.

Personalisation is rendering, not generation: a variant holds merge fields such as
`{{first_name}}` or `{{city|chez vous}}` (a fallback after `|`), and each recipient's copy
is rendered from CRM values, so one approved variant serves any number of recipients with
no model call. Values are HTML-escaped in the HTML part; a missing value takes the field's
fallback, else the field's default for the language; an unknown field is refused at
drafting (`unknown_fields`), never rendered as raw braces.

Every text code adds (the call-to-action line, the legal footer, the fields' defaults) is
data: `prompts/templates/marketing_email.yaml`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import prompts
from agents.core.lang import Lang

MERGE_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([^{}]*?))?\s*\}\}")

MERGE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "city",
    "offer_name",
    "cta_url",
    "unsubscribe_url",
)
"""Every merge field a variant may use; its default per language, when a recipient has no
value for it, is the snippet `field_<name>` of `marketing_email`."""


def _texts(lang: Lang) -> Mapping[str, str]:
    return prompts.snippets("marketing_email")[lang]


def footer_lines(lang: Lang) -> list[str]:
    """The legal footer, as written (its `{{unsubscribe_url}}` is a merge field)."""
    say = _texts(lang)
    return [say["why_you_receive"], say["sender_identity"], say["unsubscribe"]]


def unknown_fields(text: str) -> list[str]:
    """Merge fields in `text` that `MERGE_FIELDS` does not know (sorted, distinct)."""
    return sorted({m.group(1) for m in MERGE_FIELD.finditer(text)} - set(MERGE_FIELDS))


def stray_braces(text: str) -> bool:
    """Braces left once the well-formed merge fields are taken out (`{name}`, `{{x`)."""
    return "{" in MERGE_FIELD.sub("", text) or "}" in MERGE_FIELD.sub("", text)


def body_text(body: str, call_to_action: str, lang: Lang) -> str:
    """The full plain-text body: the model's text, the call to action, the legal footer."""
    arrow = _texts(lang)["call_to_action"].format(
        call_to_action=call_to_action.strip(), link="{{cta_url}}"
    )
    return "\n\n".join([body.strip(), arrow, "-- \n" + "\n".join(footer_lines(lang))])


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in blocks
    )


def body_html(body: str, preheader: str, call_to_action: str, subject: str, lang: Lang) -> str:
    """The HTML body: escaped paragraphs, a hidden preheader, a button, the footer."""
    footer = "<br>\n".join(html.escape(line) for line in footer_lines(lang)).replace(
        "{{unsubscribe_url}}", '<a href="{{unsubscribe_url}}">{{unsubscribe_url}}</a>'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n"
        f'<span style="display:none;max-height:0;overflow:hidden">{html.escape(preheader)}</span>\n'
        f"{_paragraphs(body)}\n"
        f'<p><a href="{{{{cta_url}}}}" style="display:inline-block;padding:10px 18px;'
        f'background:#1f4e8c;color:#ffffff;text-decoration:none;border-radius:4px">'
        f"{html.escape(call_to_action.strip())}</a></p>\n"
        f'<hr>\n<p style="font-size:12px;color:#555555">{footer}</p>\n</body>\n</html>\n'
    )


def render(
    text: str, values: Mapping[str, str | None], lang: Lang, *, as_html: bool = False
) -> str:
    """`text` with every merge field replaced by the recipient's value (escaped in HTML)."""

    def replace(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2)
        value = values.get(name)
        if value is None or not str(value).strip():
            default = _texts(lang).get(f"field_{name}", "") if name in MERGE_FIELDS else ""
            value = fallback if fallback is not None else default
        return html.escape(str(value), quote=True) if as_html else str(value)

    return MERGE_FIELD.sub(replace, text)


def edited_html(text: str, preheader: str, subject: str, lang: Lang) -> str:
    """The HTML body of a reviewer-edited variant: the whole edited text as paragraphs,
    with the link fields made clickable."""
    paragraphs = _paragraphs(text)
    for name in ("cta_url", "unsubscribe_url"):
        field = "{{" + name + "}}"
        paragraphs = paragraphs.replace(field, f'<a href="{field}">{field}</a>')
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n<body>\n"
        f'<span style="display:none;max-height:0;overflow:hidden">{html.escape(preheader)}</span>\n'
        f"{paragraphs}\n</body>\n</html>\n"
    )
