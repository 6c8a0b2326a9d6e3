"""Figures of the inbox (trajectory) and the dashboard, drawn with matplotlib's object API
(no pyplot: no global figure state shared between sessions)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from agents.core.emotion import EmotionReading
from agents.core.lang import Lang
from agents.services.dashboard import DashboardData, GroupFigures
from ui.i18n import EMOTION_COLOURS, emotion_name, t


def _figure(width: float = 7.0, height: float = 2.6, columns: int = 1) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    axes = [figure.add_subplot(1, columns, i + 1) for i in range(columns)]
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    return figure, axes


def trajectory(readings: list[EmotionReading], lang: Lang) -> Figure:
    """Valence and intensity over the conversation's customer messages."""
    figure, [ax] = _figure(height=2.2)
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
            xytext=(0, 7),
            ha="center",
            fontsize=7,
            color=EMOTION_COLOURS.get(r.label, "#555"),
        )
    ax.set_ylim(-1.1, 1.2)
    ax.set_xlim(0.5, max(1, len(readings)) + 0.5)
    ax.set_xticks(xs)
    ax.set_xlabel(t("message_index", lang), fontsize=8)
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    return figure


def emotions_by_week(weeks: dict[date, Counter[str]], lang: Lang) -> Figure:
    figure, [ax] = _figure(width=9, height=3)
    ax.set_title(t("plot_emotions", lang), fontsize=10)
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
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize=7, ncols=4, frameon=False, loc="upper left")
    return figure


def _bars(ax: Axes, rows: list[GroupFigures], metric: str, lang: Lang, colour: str) -> None:
    values = [getattr(row, metric) for row in rows]
    names = [row.group for row in rows]
    if not any(v is not None for v in values):
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        ax.set_xticks([])
        return
    shown = [v if v is not None else 0.0 for v in values]
    colours = [colour if v is None or v >= 0 else "#d64545" for v in values]
    ax.bar(names, shown, color=colours)
    for i, v in enumerate(values):
        ax.annotate(
            "—" if v is None else f"{v:.2f}",
            (i, shown[i]),
            ha="center",
            fontsize=7,
            textcoords="offset points",
            xytext=(0, 2),
        )
    ax.tick_params(axis="x", rotation=20)


def per_group(
    data: DashboardData, metric: str, title: str, lang: Lang, colour: str = "#5b7db8"
) -> Figure:
    """One metric per channel (left) and per segment (right)."""
    figure, (left, right) = _figure(width=9, height=2.6, columns=2)
    figure.suptitle(t(title, lang), fontsize=10)
    _bars(left, data.by_channel, metric, lang, colour)
    left.set_title(t("by_channel", lang), fontsize=8)
    _bars(right, data.by_segment, metric, lang, colour)
    right.set_title(t("by_segment", lang), fontsize=8)
    if metric in ("end_valence",):
        for ax in (left, right):
            ax.axhline(0, color="#bbbbbb", linewidth=0.8)
    return figure


def reasons(counts: Counter[str], lang: Lang) -> Figure:
    figure, [ax] = _figure(width=9, height=2.6)
    ax.set_title(t("plot_reasons", lang), fontsize=10)
    if not counts:
        ax.text(0.5, 0.5, t("nothing_yet", lang), ha="center", transform=ax.transAxes)
        return figure
    top = counts.most_common(10)[::-1]
    ax.barh([name for name, _ in top], [n for _, n in top], color="#e8833a")
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
