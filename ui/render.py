"""HTML fragments of the inbox and handoff views. Every piece of text from a customer or a
record is escaped: a message is data, never markup."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.services.inbox import ConversationDetail, HumanItem, QueueItem
from agents.support.schemas import CheckFinding, HandoffPackage, Passage, RuleHit
from tools.crm.views import CustomerContext, euros
from ui.i18n import EMOTION_COLOURS, catalogue, emotion_name, finding_name, t

PRIORITY_ICON = {"urgent": "‼", "high": "!", "normal": ""}
"""Plain glyphs: a browser without an emoji font still shows them."""

CSS = """
.variants {display:flex;gap:12px;align-items:stretch;flex-wrap:wrap}
.variant {flex:1 1 300px;border:1px solid var(--border-color-primary);border-radius:10px;
  padding:10px 12px;min-width:280px}
.variant h4 {margin:0 0 4px 0}
.variant .meta {color:var(--body-text-color-subdued);font-size:0.85em}
.variant pre {white-space:pre-wrap;font-family:inherit;font-size:0.9em;margin:6px 0}
.variant iframe {width:100%;height:260px;border:1px solid var(--border-color-primary);
  border-radius:6px;background:#fff}
.flag {display:inline-block;padding:1px 8px;border-radius:10px;font-size:0.8em;margin:2px 4px 2px 0;
  background:#fbe3e3;color:#8a1f1f}
.flag.ok {background:#e3f4e8;color:#1f6b35}
.insight {font-size:0.92em}
table.gates {font-size:0.9em;border-collapse:collapse}
table.gates td, table.gates th {padding:3px 8px;border-bottom:1px solid var(--border-color-primary)}
table.gates tr.fail td {color:#b42318}
.chip {display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:0.8em;
  margin-left:6px;vertical-align:middle}
.msg {border-radius:10px;padding:8px 12px;margin:6px 0;max-width:92%}
.msg.customer {background:var(--background-fill-secondary);
  border:1px solid var(--border-color-primary)}
.msg.agent {background:#e8f1fb;margin-left:auto;color:#1d2b3a}
.msg .meta {font-size:0.78em;opacity:0.75;margin-bottom:3px}
.card h4 {margin:8px 0 2px 0}
.card ul {margin:0 0 4px 16px;padding:0}
.passage {border-left:3px solid #c5cfdc;padding:2px 8px;margin:6px 0;font-size:0.9em}
.passage.cited {border-left-color:#5b7db8}
ul.hits {margin:2px 0 6px 18px;padding:0}
#transcript, #handoff-transcript {max-height:330px;overflow-y:auto}
#inbox-status, #handoff-status {min-height:1.5em}
.handoff {border:1px solid var(--border-color-primary);border-radius:10px;padding:10px 14px;
  margin:8px 0}
.warn {color:#b3261e}
.flag.required {background:#b42318;color:#fff}
.overrides ul {margin:2px 0 4px 18px;padding:0;font-size:0.9em}
.figures {display:flex;flex-wrap:wrap;gap:12px}
.figure {flex:1 1 320px;max-width:520px;margin:0}
.figure img {width:100%;border:1px solid var(--border-color-primary);border-radius:6px;
  background:#fff}
.figure figcaption {font-size:0.8em;color:var(--body-text-color-subdued)}
a.download {display:inline-block;padding:6px 14px;border-radius:8px;font-weight:600;
  border:1px solid var(--border-color-primary);text-decoration:none}
"""


def chip(label: str, lang: Lang, valence: float | None = None) -> str:
    colour = EMOTION_COLOURS.get(label, "#8c959f")
    extra = f" {valence:+.1f}" if valence is not None else ""
    name = escape(emotion_name(label, lang))
    return f'<span class="chip" style="background:{colour}">{name}{extra}</span>'


def labelled(key: str, lang: Lang) -> str:
    """A label followed by a colon, spaced as the language writes it ("Raisons :")."""
    return t(key, lang) + t("colon", lang)


def trimmed(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary before `limit` characters (with …)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def priority_badge(priority: str, lang: Lang) -> str:
    """The priority as a glyph and its name (plain text: a choice's label)."""
    name = catalogue().text_or(f"priority.{priority}", lang, priority)
    return f"{PRIORITY_ICON.get(priority, '')} {name}".strip()


def waited(delta: timedelta | None, lang: Lang) -> str:
    """A waiting time in the unit a person reads (minutes, hours, days)."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return t("waited_now", lang)
    if minutes < 60:
        return t("waited_minutes", lang, n=minutes)
    if minutes < 48 * 60:
        return t("waited_hours", lang, n=minutes // 60)
    return t("waited_days", lang, n=minutes // (24 * 60))


def queue_label(item: QueueItem, lang: Lang) -> str:
    """A queue line: priority, customer, emotion, waiting time, the customer's message."""
    r = item.request
    said = trimmed(item.message, 70) if item.message else trimmed(r.draft, 50)
    parts = [
        priority_badge(r.priority, lang),
        item.customer_name,
        f"{emotion_name(r.reading.label, lang)} {r.reading.intensity:.1f}",
    ]
    if item.waited is not None:
        parts.append(waited(item.waited, lang))
    return " · ".join(parts) + f" — « {said} »"


def human_label(entry: HumanItem, lang: Lang) -> str:
    """A human-queue line: priority, customer, why, who has it, waiting time, last message."""
    item = entry.item
    owner = item.assignee or t("unassigned", lang)
    parts = [
        priority_badge(item.priority, lang),
        item.customer_name,
        t(f"why_{entry.why}", lang),
        owner,
    ]
    if entry.waited is not None:
        parts.append(waited(entry.waited, lang))
    said = trimmed(item.last_message, 70) if item.last_message else "—"
    return " · ".join(parts) + f" — « {said} »"


def seen_value(value: object, lang: Lang) -> str:
    if isinstance(value, bool):
        return t("answer_yes" if value else "answer_no", lang)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value is None else str(value)


def rule_hit(hit: RuleHit, lang: Lang) -> str:
    """One fired rule, in the UI's language, with the values it saw."""
    name = catalogue().text_or(f"escalation.{hit.rule}", lang, hit.rule)
    seen = ", ".join(
        f"{escape(catalogue().text_or(f'signal.{signal}', lang, signal))} "
        f"{escape(seen_value(value, lang))}"
        for signal, value in hit.seen.items()
    )
    return f"<b>{escape(name)}</b>" + (
        f" <small>({labelled('seen', lang)} {seen})</small>" if seen else ""
    )


def rule_hits_md(hits: list[RuleHit], lang: Lang) -> str:
    """The rules that fired, as Markdown lines (the inbox's status)."""
    lines = []
    for hit in hits:
        name = catalogue().text_or(f"escalation.{hit.rule}", lang, hit.rule)
        seen = ", ".join(
            f"{catalogue().text_or(f'signal.{signal}', lang, signal)} {seen_value(value, lang)}"
            for signal, value in hit.seen.items()
        )
        lines.append(
            f"- **{escape(name)}**"
            + (f" ({labelled('seen', lang)} {escape(seen)})" if seen else "")
        )
    return "\n".join(lines)


def rule_hits(hits: list[RuleHit], lang: Lang) -> str:
    if not hits:
        return "—"
    return '<ul class="hits">' + "".join(f"<li>{rule_hit(h, lang)}</li>" for h in hits) + "</ul>"


def header(detail: ConversationDetail, lang: Lang) -> str:
    p = detail.customer.profile
    parts = [f"### {escape(p.full_name)} — {escape(detail.subject)}"]
    line = f"{escape(detail.channel)} · {t('segment', lang)} {escape(p.segment)}"
    if detail.request:
        line += f" · {t('priority', lang)} {priority_badge(detail.request.priority, lang)}"
    line += f" · {t(f'state_{detail.state}', lang)}"
    if detail.assignee:
        line += f" · {t('assignee', lang, who=escape(detail.assignee))}"
    return "\n".join([*parts, line])


def transcript(detail: ConversationDetail, lang: Lang) -> str:
    lines = []
    for line in detail.transcript:
        who = "customer" if line.author == "customer" else "agent"
        name = line.name or (detail.customer.profile.full_name if who == "customer" else who)
        tag = chip(line.reading.label, lang, line.reading.valence) if line.reading else ""
        when = f" · {line.sent_at:%Y-%m-%d %H:%M}" if line.sent_at else ""
        new = f" · <b>{t('new_message', lang)}</b>" if line.pending else ""
        text = escape(line.text).replace("\n", "<br>")
        lines.append(
            f'<div class="msg {who}"><div class="meta">{escape(name)}{when}{new}{tag}</div>'
            f"{text}</div>"
        )
    return "".join(lines)


def customer_card(context: CustomerContext, lang: Lang) -> str:
    p = context.profile
    html = [
        f'<div class="card"><b>{escape(p.full_name)}</b> · {escape(p.id)}<br>'
        f"{escape(p.email)} · {escape(p.segment)} · {escape(p.language)}"
    ]
    if p.vulnerable:
        html.append(f'<br><b class="warn">! {t("vulnerable", lang)}</b>')
    sections: list[tuple[str, list[str]]] = [
        (
            "contracts",
            [
                f"{c.offer} ({c.kind}) · {euros(c.monthly_price_cents)} · {c.status}"
                for c in context.contracts
            ],
        ),
        (
            "orders",
            [
                f"{o.id} · {o.placed_at:%Y-%m-%d} · {o.status} · {euros(o.total_cents)}"
                for o in context.recent_orders[:3]
            ],
        ),
        (
            "invoices",
            [
                f"{i.id} · {i.period} · {euros(i.amount_cents)} · {i.status}"
                for i in context.unpaid_invoices
            ],
        ),
        ("tickets", [f"{k.id} · {k.priority} · {k.subject}" for k in context.open_tickets]),
    ]
    for key, items in sections:
        if items:
            html.append(f"<h4>{t(key, lang)}</h4><ul>")
            html += [f"<li>{escape(item)}</li>" for item in items]
            html.append("</ul>")
    html.append("</div>")
    return "".join(html)


TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def plain_passage(text: str) -> str:
    """A knowledge passage as reading text: Markdown tables become lines of cells, the
    headings, emphasis and links their words."""
    lines = []
    for line in text.splitlines():
        if TABLE_RULE.match(line):
            continue
        line = line.strip()
        if line.startswith("|"):
            line = " · ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        line = re.sub(r"^#{1,6}\s*", "", line)
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
        line = line.replace("**", "").replace("__", "").replace("`", "")
        line = re.sub(r"^[-*+]\s+", "• ", line)
        if line:
            lines.append(line)
    return " ".join(lines)


def passages(found: list[Passage], cited: list[str], lang: Lang, limit: int = 320) -> str:
    if not found:
        return f"<i>{t('no_passages', lang)}</i>"
    blocks = []
    for p in found:
        mark = "✓ " if p.citation_id in cited else ""
        css = "passage cited" if p.citation_id in cited else "passage"
        blocks.append(
            f'<div class="{css}">{mark}<b>[{escape(p.citation_id)}]</b> {escape(p.title)}'
            f" <small>({t('similarity', lang)} {p.score:.2f})</small><br>"
            f"{escape(trimmed(plain_passage(p.text), limit))}</div>"
        )
    return "".join(blocks)


def findings(found: list[CheckFinding], lang: Lang) -> str:
    if not found:
        return f"✓ {t('no_findings', lang)}"
    return "\n".join(
        f"- {'✗' if f.blocking else '!'} **{finding_name(f.kind, lang)}**"
        f"{' (' + t('blocking', lang) + ')' if f.blocking else ''}: {escape(f.detail)}"
        for f in found
    )


def draft_origin(mode: str, lang: Lang) -> str:
    """Who wrote the draft: the model, or code from the cited passages (extractive)."""
    return f"_{t(f'draft_mode.{mode}', lang)}_"


def _emotions(trajectory: list[EmotionReading], lang: Lang) -> str:
    return " → ".join(chip(r.label, lang, r.valence) for r in trajectory)


def package_html(package: HandoffPackage | None, why: str, reason: str | None, lang: Lang) -> str:
    """Why the conversation is with a person (the rules that fired, with what they saw),
    and the handoff package: summary, trajectory, what was tried, an opening line."""
    head = f'<div class="handoff"><b>{labelled("why_here", lang)}</b> {t(f"why_{why}", lang)}'
    if package is None:
        detail = f"<br><small>{escape(reason)}</small>" if reason else ""
        return head + detail + "</div>"
    tried = "".join(f"<li>{escape(item)}</li>" for item in package.tried)
    trajectory = _emotions(package.emotion_trajectory, lang)
    return (
        head + f'<div data-conversation="{escape(package.conversation_id)}">'
        f"<b>{labelled('reasons', lang)}</b>{rule_hits(package.reasons, lang)}"
        f"<b>{labelled('emotion', lang)}</b> {trajectory or '—'}<br>"
        f"<b>{labelled('summary', lang)}</b> {escape(package.summary)}<br>"
        f"<b>{labelled('last_message', lang)}</b> <i>{escape(package.last_message)}</i><br>"
        + (f"<b>{labelled('tried', lang)}</b><ul>{tried}</ul>" if tried else "")
        + f"<b>{labelled('opening', lang)}</b> {escape(package.suggested_opening)}</div></div>"
    )


def handoff_cards(packages: list[tuple[HandoffPackage, str]], lang: Lang) -> str:
    if not packages:
        return f"<i>{t('handoffs_empty', lang)}</i>"
    cards = []
    for package, name in packages:
        tried = "".join(f"<li>{escape(item)}</li>" for item in package.tried)
        cards.append(
            f'<div class="handoff" data-conversation="{escape(package.conversation_id)}">'
            f"<b>{escape(priority_badge(package.priority, lang))} · {escape(name)}</b> · "
            f"{escape(package.conversation_id)} · {package.lang}<br>"
            f"<b>{labelled('reasons', lang)}</b>{rule_hits(package.reasons, lang)}"
            f"<b>{labelled('emotion', lang)}</b> {_emotions(package.emotion_trajectory, lang)}<br>"
            f"<b>{labelled('summary', lang)}</b> {escape(package.summary)}<br>"
            f"<b>{labelled('last_message', lang)}</b> <i>{escape(package.last_message)}</i><br>"
            + (f"<b>{labelled('tried', lang)}</b><ul>{tried}</ul>" if tried else "")
            + f"<b>{labelled('opening', lang)}</b> {escape(package.suggested_opening)}</div>"
        )
    return "".join(cards)
