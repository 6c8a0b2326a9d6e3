"""HTML fragments of the inbox and handoff views. Every piece of text from a customer or a
record is escaped: a message is data, never markup."""

from __future__ import annotations

from html import escape

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.services.inbox import ConversationDetail, QueueItem
from agents.support.schemas import CheckFinding, HandoffPackage, Passage
from tools.crm.views import CustomerContext, euros
from ui.i18n import EMOTION_COLOURS, emotion_name, finding_name, t

PRIORITY_ICON = {"urgent": "‼", "high": "!", "normal": "·"}
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
.passage {border-left:3px solid #5b7db8;padding:2px 8px;margin:6px 0;font-size:0.9em}
.handoff {border:1px solid var(--border-color-primary);border-radius:10px;padding:10px 14px;
  margin:8px 0}
.warn {color:#b3261e}
"""


def chip(label: str, lang: Lang, valence: float | None = None) -> str:
    colour = EMOTION_COLOURS.get(label, "#8c959f")
    extra = f" {valence:+.1f}" if valence is not None else ""
    name = escape(emotion_name(label, lang))
    return f'<span class="chip" style="background:{colour}">{name}{extra}</span>'


def queue_label(item: QueueItem, lang: Lang) -> str:
    r = item.request
    preview = r.draft[:50].replace("\n", " ")
    return (
        f"{PRIORITY_ICON.get(r.priority, '')} {item.customer_name} · "
        f"{emotion_name(r.reading.label, lang)} ({r.reading.intensity:.1f}) · {preview}…"
    )


def header(detail: ConversationDetail, lang: Lang) -> str:
    p = detail.customer.profile
    parts = [f"### {escape(p.full_name)} — {escape(detail.subject)}"]
    line = f"{escape(detail.channel)} · {t('segment', lang)} {escape(p.segment)}"
    if detail.request:
        line += (
            f" · {t('priority', lang)} {PRIORITY_ICON.get(detail.request.priority, '')}"
            f" {detail.request.priority}"
        )
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


def passages(found: list[Passage], cited: list[str], lang: Lang) -> str:
    if not found:
        return f"<i>{t('no_passages', lang)}</i>"
    blocks = []
    for p in found:
        mark = "✓ " if p.citation_id in cited else ""
        blocks.append(
            f'<div class="passage">{mark}<b>[{escape(p.citation_id)}]</b> {escape(p.title)}'
            f" <small>({p.score:.2f})</small><br>{escape(p.text[:220])}</div>"
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


def handoff_cards(packages: list[tuple[HandoffPackage, str]], lang: Lang) -> str:
    if not packages:
        return f"<i>{t('handoffs_empty', lang)}</i>"
    cards = []
    for package, name in packages:
        reasons = ", ".join(escape(hit.rule) for hit in package.reasons) or "—"
        tried = "".join(f"<li>{escape(item)}</li>" for item in package.tried)
        cards.append(
            f'<div class="handoff" data-conversation="{escape(package.conversation_id)}">'
            f"<b>{PRIORITY_ICON.get(package.priority, '')} {escape(name)}</b> · "
            f"{escape(package.conversation_id)} · {package.priority} · {package.lang}<br>"
            f"<b>{t('reasons', lang)}</b>: {reasons}<br>"
            f"<b>{t('emotion', lang)}</b>: {_emotions(package.emotion_trajectory, lang)}<br>"
            f"<b>{t('summary', lang)}</b>: {escape(package.summary)}<br>"
            f"<b>{t('last_message', lang)}</b>: <i>{escape(package.last_message)}</i><br>"
            + (f"<b>{t('tried', lang)}</b>:<ul>{tried}</ul>" if tried else "")
            + f"<b>{t('opening', lang)}</b>: {escape(package.suggested_opening)}</div>"
        )
    return "".join(cards)
