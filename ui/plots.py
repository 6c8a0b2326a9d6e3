"""Figures of the inbox (trajectory) and the dashboard, drawn with matplotlib's object API
(no pyplot: no global figure state shared between sessions)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.services.dashboard import DashboardData, GroupFigures
from ui.i18n import EMOTION_COLOURS, catalogue, emotion_name, t


def _figure(width: float = 7.0, height: float = 2.6, columns: int = 1) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    axes = [figure.add_subplot(1, columns, i + 1) for i in range(columns)]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    return figure, axes


THIN = 5
"""A bar resting on fewer observations is drawn hatched and pale, and the figure says so."""

MetricKind = str
"""How a metric reads: `score` (−1 to 1), `unit` (0 to 1), `rate` (a share, shown in %),
`duration` (minutes, shown in the unit that fits: minutes, hours or days)."""


def trajectory(readings: list[EmotionReading], lang: Lang) -> Figure:
    """Valence and intensity over the conversation's customer messages."""
    figure, [ax] = _figure(width=5.6, height=2.7)
    ax.set_title(t("trajectory", lang), fontsize=9, loc="left")
    xs = list(range(1, len(readings) + 1))
    ax.axhline(0, color="#bbbbbb", linewidth=0.8)
    ax.plot(
        xs, [r.valence for r in readings], marker="o", color="#5b7db8", label=t("valence", lang)
    )
    ax.plot(
        xs,
        [r.intensity for r in readings],
        marker="s",
        linestyle="--",
        color="#e8833a",
        label=t("intensity", lang),
    )
    for x, r in zip(xs, readings, strict=True):
        ax.annotate(
            emotion_name(r.label, lang),
            (x, r.valence),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
            color=EMOTION_COLOURS.get(r.label, "#555"),
        )
    ax.set_ylim(-1.15, 1.35)
    ax.set_yticks([-1, -0.5, 0, 0.5, 1])
    ax.set_xlim(0.5, max(1, len(readings)) + 0.5)
    ax.set_xticks(xs)
    ax.set_xlabel(t("message_index", lang), fontsize=8)
    ax.set_ylabel(t("trajectory_scale", lang), fontsize=8)
    # Above the axes, clear of the lines.
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False)
    return figure


def emotions_by_week(weeks: dict[date, Counter[str]], lang: Lang) -> Figure:
    figure, [ax] = _figure(width=9, height=3)
    total = sum(sum(c.values()) for c in weeks.values())
    ax.set_title(t("plot_emotions", lang, n=total), fontsize=10)
    if not weeks:
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        return figure
    labels = [f"{week:%d/%m}" for week in weeks]
    bottoms = [0] * len(weeks)
    for emotion, colour in EMOTION_COLOURS.items():
        counts = [weeks[week][emotion] for week in weeks]
        if any(counts):
            ax.bar(labels, counts, bottom=bottoms, color=colour, label=emotion_name(emotion, lang))
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    ax.set_ylabel(t("readings", lang), fontsize=8)
    ax.set_xlabel(t("week", lang), fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", rotation=60)
    # Beside the bars, never over them.
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def group_name(name: str, lang: Lang) -> str:
    """A channel's or segment's name in the UI's language (the code when it has none)."""
    return catalogue().text_or(f"group.{name}", lang, name)


def _duration_unit(minutes: list[float]) -> tuple[str, float]:
    """The unit that reads best for these durations, and minutes per unit."""
    longest = max(minutes, default=0.0)
    if longest < 120:
        return "unit_minutes", 1.0
    if longest < 48 * 60:
        return "unit_hours", 60.0
    return "unit_days", 24 * 60.0


def _shown(value: float, kind: MetricKind, per_unit: float) -> float:
    if kind == "rate":
        return value * 100
    if kind == "duration":
        return value / per_unit
    return value


def _text(value: float, kind: MetricKind) -> str:
    if kind == "rate":
        return f"{value:.0f} %"
    if kind == "duration":
        return f"{value:.1f}"
    if kind == "score":
        return f"{value:+.2f}"
    return f"{value:.2f}"


def _bars(
    ax: Axes,
    rows: list[GroupFigures],
    metric: str,
    lang: Lang,
    colour: str,
    kind: MetricKind,
    scale_key: str | None = None,
) -> str:
    """One bar per group, each with its value and n; returns the axis's scale label."""
    values = [getattr(row, metric) for row in rows]
    measured = [v for v in values if v is not None]
    unit, per_unit = _duration_unit(measured) if kind == "duration" else ("", 1.0)
    scale = t(unit, lang) if unit else t(scale_key or f"scale_{kind}", lang)
    if not measured:
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return scale
    names = [group_name(row.group, lang) for row in rows]
    shown = [_shown(v, kind, per_unit) if v is not None else 0.0 for v in values]
    for i, (row, v) in enumerate(zip(rows, values, strict=True)):
        n = row.sample(metric)
        thin = n < THIN
        ax.bar(
            i,
            shown[i],
            color=colour if v is None or shown[i] >= 0 or kind != "score" else "#d64545",
            alpha=0.45 if thin else 1.0,
            hatch="///" if thin else None,
            edgecolor="#555555" if thin else colour,
            linewidth=0.6,
        )
        label = "—" if v is None else _text(shown[i], kind)
        ax.annotate(
            f"{label}\nn={n}",
            (i, max(shown[i], 0.0)),
            ha="center",
            va="bottom",
            fontsize=7,
            textcoords="offset points",
            xytext=(0, 2),
        )
    ax.set_xticks(range(len(names)), names, rotation=20)
    top = max([*shown, 0.0])
    if kind == "score":
        ax.set_ylim(min(-1.0, min(shown) * 1.3), 1.35)
    elif kind == "rate":
        ax.set_ylim(0, 125)
    elif kind == "unit":
        ax.set_ylim(0, 1.3)
    else:
        ax.set_ylim(0, top * 1.35 or 1)
    ax.set_ylabel(scale, fontsize=7)
    return scale


def per_group(
    data: DashboardData,
    metric: str,
    title: str,
    lang: Lang,
    colour: str = "#5b7db8",
    kind: MetricKind = "unit",
    scale_key: str | None = None,
) -> Figure:
    """One metric per channel (left) and per segment (right), each bar with its n."""
    figure, (left, right) = _figure(width=9, height=2.9, columns=2)
    figure.suptitle(t(title, lang), fontsize=10)
    _bars(left, data.by_channel, metric, lang, colour, kind, scale_key)
    left.set_title(t("by_channel", lang), fontsize=8)
    _bars(right, data.by_segment, metric, lang, colour, kind, scale_key)
    right.set_title(t("by_segment", lang), fontsize=8)
    if kind == "score":
        for ax in (left, right):
            ax.axhline(0, color="#bbbbbb", linewidth=0.8)
    figure.text(0.01, 0.0, t("thin_note", lang, n=THIN), fontsize=7, color="#666666")
    return figure


def reason_name(code: str, lang: Lang) -> str:
    return catalogue().text_or(f"escalation.{code}", lang, code)


def reasons(counts: Counter[str], lang: Lang) -> Figure:
    figure, [ax] = _figure(width=9, height=2.8)
    ax.set_title(t("plot_reasons", lang, n=sum(counts.values())), fontsize=10)
    if not counts:
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        return figure
    top = counts.most_common(10)[::-1]
    bars = ax.barh(
        [reason_name(name, lang) for name, _ in top], [n for _, n in top], color="#e8833a"
    )
    ax.bar_label(bars, padding=2, fontsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("conversations", lang), fontsize=8)
    ax.set_xlim(0, max(n for _, n in top) * 1.15)
    return figure


def segment_emotions(shares: list[tuple[str, float]], lang: Lang) -> Figure:
    """The segment's dominant emotions (share of readings), for the studio's insight."""
    figure, [ax] = _figure(width=4.2, height=1.9)
    ax.set_title(t("plot_segment_emotions", lang), fontsize=9)
    if not shares:
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        return figure
    rows = shares[::-1]
    ax.barh(
        [emotion_name(label, lang) for label, _ in rows],
        [share * 100 for _, share in rows],
        color=[EMOTION_COLOURS.get(label, "#8c959f") for label, _ in rows],
    )
    ax.set_xlabel("%", fontsize=8)
    return figure
