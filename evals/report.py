"""What a tester reads: rich tables in the terminal, a JSON report and figures per run.

Figures (matplotlib, written under the run's folder): the confusion matrix and per-class F1
bars where the suite has classes, a latency histogram for every run, and the metric deltas
of a comparison under the newer run's folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.outcome import RunOutcome
from evals.store import StoredRun

LOWER_IS_BETTER = (
    "leaks",
    "unauthorised_actions",
    "attack_success_rate",
    "policy_violations",
    "errors",
    "latency_p50_s",
    "latency_p95_s",
    "tokens_per_case",
    "missed_violations",
    "false_flags",
    "false_handoff_rate",
    "outbox_writes",
    "handoff_early",
    "handoff_late",
    "mae.",
    "confident_off_topic",
    "confident_near_domain",
    "success_rate.",
    "leaks.",
    "unauthorised_actions.",
    "prompt_echoes",
)


NEUTRAL = (
    "cases",
    "handed_off_rate",
    "drafted_rate",
    "turns",
    "drafted_turns",
    "approval_turns",
    "handed_off_turns",
    "drafted_turn_rate",
    "planted_passages_quoted",
)
"""Metrics that describe a run without being better one way (no verdict in a comparison)."""


def lower_is_better(metric: str) -> bool:
    return any(metric == m or (m.endswith(".") and metric.startswith(m)) for m in LOWER_IS_BETTER)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_report(outcome: RunOutcome, *, figures: bool = True) -> list[Path]:
    """`report.json` and the figures of a finished run; returns the figure paths."""
    run = outcome.run
    details = {k: v for k, v in outcome.score.details.items() if k != "latencies"}
    payload = {"run": run.manifest, "details": details}
    (run.folder / "report.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str), "utf-8"
    )
    if not figures:
        return []
    plt = _pyplot()
    written: list[Path] = []
    confusion = details.get("confusion")
    if confusion:
        labels = details["labels"]
        fig, ax = plt.subplots(figsize=(6.5, 5.5))
        import numpy as np

        matrix = np.array(confusion, dtype=float)
        rows = matrix.sum(axis=1, keepdims=True)
        shown = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
        ax.imshow(shown, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(
                    j,
                    i,
                    int(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shown[i, j] > 0.5 else "black",
                )
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{run.id}: confusion (single-label rows)", fontsize=9)
        fig.tight_layout()
        written.append(_save(fig, run.folder / "confusion.png", plt))
    per_class = details.get("per_class")
    if per_class:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        names = [c["label"] for c in per_class]
        ax.bar(names, [c["f1"] for c in per_class], color="#4a7ab5")
        ax.set_ylim(0, 1)
        ax.set_ylabel("F1")
        ax.set_title(f"{run.id}: F1 per class", fontsize=9)
        ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        written.append(_save(fig, run.folder / "per_class_f1.png", plt))
    per_category = details.get("per_category")
    if per_category:  # red team: drafted vs handed-off turns per attack category
        fig, ax = plt.subplots(figsize=(8, 3.8))
        names = [c["category"] for c in per_category]
        drafted = [c["drafted_turns"] for c in per_category]
        bare = [c["turns"] - c["drafted_turns"] for c in per_category]
        ax.bar(names, drafted, color="#4a7ab5", label="drafted turns")
        ax.bar(names, bare, bottom=drafted, color="#c8a24a", label="handed off, no draft")
        ax.set_ylabel("turns")
        ax.legend()
        ax.set_title(f"{run.id}: drafted and handed-off turns per category", fontsize=9)
        ax.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        written.append(_save(fig, run.folder / "per_category.png", plt))
    if details.get("overall") and "rules" in details:
        written.append(_precision_recall(run, details, plt))
    latencies = outcome.score.details.get("latencies") or []
    if latencies:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#6a9a58")
        p50 = outcome.score.metrics.get("latency_p50_s", 0.0)
        p95 = outcome.score.metrics.get("latency_p95_s", 0.0)
        ax.axvline(p50, color="black", linestyle="--", label=f"p50 {p50:.3g} s")
        ax.axvline(p95, color="red", linestyle=":", label=f"p95 {p95:.3g} s")
        ax.set_xlabel("seconds per case")
        ax.set_ylabel("cases")
        ax.legend()
        ax.set_title(f"{run.id}: latency per case", fontsize=9)
        fig.tight_layout()
        written.append(_save(fig, run.folder / "latency.png", plt))
    return written


def _precision_recall(run: StoredRun, details: dict[str, Any], plt: Any) -> Path:
    """Escalation: left, precision against recall of each rule that some case expects, and
    the overall point, with the gates' lines; right, the precision of every rule that fired
    (how many conversations it handed off in brackets)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), width_ratios=(1.1, 1))
    rows = details["rules"]
    for row in rows:
        if row["recall"] is None:
            continue
        precision = row["precision"] if row["precision"] is not None else 0.0
        left.scatter([row["recall"]], [precision], s=30 + 8 * row["fired"], color="#4a7ab5")
        left.annotate(
            row["label"],
            (row["recall"], precision),
            fontsize=7,
            xytext=(4, 3),
            textcoords="offset points",
        )
    overall = details["overall"]
    left.scatter([overall["recall"]], [overall["precision"]], marker="*", s=220, color="#c0392b")
    left.annotate(
        "overall",
        (overall["recall"], overall["precision"]),
        fontsize=8,
        xytext=(6, -10),
        textcoords="offset points",
        color="#c0392b",
    )
    for gate in run.manifest.get("gates", []):
        if gate["metric"] == "recall":
            left.axvline(gate["value"], color="grey", linestyle=":", linewidth=1)
        elif gate["metric"] == "precision":
            left.axhline(gate["value"], color="grey", linestyle=":", linewidth=1)
    left.set_xlim(-0.03, 1.05)
    left.set_ylim(-0.03, 1.05)
    left.set_xlabel("recall")
    left.set_ylabel("precision")
    fired = sorted((r for r in rows if r["fired"]), key=lambda r: r["precision"])
    right.barh(
        [f"{r['label']} ({r['fired']})" for r in fired],
        [r["precision"] for r in fired],
        color="#6a9a58",
    )
    right.set_xlim(0, 1)
    right.set_xlabel("precision (conversations handed off that needed a person)")
    right.tick_params(axis="y", labelsize=7)
    split = "+".join(details.get("splits", []))
    fig.suptitle(f"{run.id}: escalation precision / recall per rule ({split})", fontsize=9)
    fig.tight_layout()
    return _save(fig, run.folder / "precision_recall.png", plt)


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def print_run(
    console: Console, manifest: dict[str, Any], figures: list[Path] | None = None
) -> None:
    """The run's metrics and gates as tables."""
    table = Table(
        title=f"{manifest['suite']} v{manifest['suite_version']} — run {manifest['run_id']}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(manifest.get("metrics", {}).items()):
        table.add_row(name, _fmt(value))
    console.print(table)
    gates = manifest.get("gates", [])
    if gates:
        gate_table = Table(title="gates")
        for column in ("metric", "rule", "measured", "verdict", "why"):
            gate_table.add_column(column)
        for g in gates:
            verdict = "[green]pass[/]" if g["passed"] else "[red]FAIL[/]"
            gate_table.add_row(
                g["metric"],
                f"{g['op']} {g['value']:g}",
                _fmt(g["measured"]),
                verdict,
                escape(g.get("why", "")),
            )
        console.print(gate_table)
    console.print(
        f"commit {manifest.get('git_commit')} · model {manifest.get('model') or '—'} · "
        f"policy {manifest.get('policy_hash')} · folder {manifest.get('folder', '')}"
    )
    for path in figures or []:
        console.print(f"figure: {path}")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.3f}"
    return str(value)


# --- comparison --------------------------------------------------------------------------
@dataclass
class Comparison:
    """Per-case changes and metric deltas from run A (before) to run B (after)."""

    a: StoredRun
    b: StoredRun
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    deltas: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    def worse(self, metric: str) -> bool:
        before, after = self.deltas[metric]
        if metric in NEUTRAL or before is None or after is None or before == after:
            return False
        return (after > before) if lower_is_better(metric) else (after < before)


def compare_runs(a: StoredRun, b: StoredRun) -> Comparison:
    records_a = {r["id"]: r for r in a.records()}
    records_b = {r["id"]: r for r in b.records()}
    comparison = Comparison(a, b)
    for cid in sorted(records_a.keys() & records_b.keys()):
        before, after = bool(records_a[cid]["passed"]), bool(records_b[cid]["passed"])
        if before and not after:
            comparison.regressions.append(cid)
        elif after and not before:
            comparison.improvements.append(cid)
    comparison.only_a = sorted(records_a.keys() - records_b.keys())
    comparison.only_b = sorted(records_b.keys() - records_a.keys())
    metrics_a = a.manifest.get("metrics", {})
    metrics_b = b.manifest.get("metrics", {})
    for name in sorted(metrics_a.keys() | metrics_b.keys()):
        comparison.deltas[name] = (metrics_a.get(name), metrics_b.get(name))
    return comparison


def print_comparison(console: Console, c: Comparison, *, show: int = 30) -> None:
    what = f"{c.a.id} → {c.b.id}"
    if c.a.manifest.get("suite") != c.b.manifest.get("suite"):
        console.print("[yellow]warning:[/] the two runs are of different suites")
    for key in ("suite_version", "git_commit", "model", "policy_hash"):
        va, vb = c.a.manifest.get(key), c.b.manifest.get(key)
        if va != vb:
            console.print(f"changed {key}: {va} → {vb}")
    changed_prompts = [
        name
        for name in set(c.a.manifest.get("prompts", {})) | set(c.b.manifest.get("prompts", {}))
        if c.a.manifest.get("prompts", {}).get(name) != c.b.manifest.get("prompts", {}).get(name)
    ]
    if changed_prompts:
        console.print(f"changed prompts: {', '.join(sorted(changed_prompts))}")
    table = Table(title=f"metrics {what}")
    for column in ("metric", "A", "B", "delta", ""):
        table.add_column(column, justify="right" if column in ("A", "B", "delta") else "left")
    for name, (before, after) in c.deltas.items():
        delta = after - before if before is not None and after is not None else None
        mark = (
            "[red]worse[/]"
            if c.worse(name)
            else ("[green]better[/]" if delta not in (None, 0) and name not in NEUTRAL else "")
        )
        table.add_row(
            name, _fmt(before), _fmt(after), "—" if delta is None else f"{delta:+.3f}", mark
        )
    console.print(table)
    console.print(
        f"[red]{len(c.regressions)} regression(s)[/] (passed in A, failed in B), "
        f"[green]{len(c.improvements)} improvement(s)[/]; "
        f"{len(c.only_a)} case(s) only in A, {len(c.only_b)} only in B"
    )
    for label, ids in (("regressed", c.regressions), ("improved", c.improvements)):
        for cid in ids[:show]:
            console.print(f"  {label}: {escape(cid)}")
        if len(ids) > show:
            console.print(f"  … and {len(ids) - show} more {label}")


def save_delta_figure(c: Comparison, path: Path) -> Path | None:
    """Metric deltas (B − A), red where B is worse: rates and scores (values in [0, 1]) as
    absolute differences on the left; counts, seconds and tokens as relative change on the
    right (absolute when A is 0), so that one scale does not flatten the other."""
    rates: list[tuple[str, float, bool]] = []
    others: list[tuple[str, float, bool]] = []
    for name, (before, after) in c.deltas.items():
        if before is None or after is None or name == "cases":
            continue
        if (0 <= before <= 1 and 0 <= after <= 1 and not lower_is_better(name)) or (
            name.startswith(("success_rate.", "confident_")) or name.endswith("_rate")
        ):
            rates.append((name, after - before, c.worse(name)))
        elif before:
            others.append((f"{name} (%)", 100 * (after - before) / abs(before), c.worse(name)))
        else:
            others.append((name, after - before, c.worse(name)))
    if not rates and not others:
        return None
    plt = _pyplot()
    panels = [
        (rows, title)
        for rows, title in ((rates, "rates and scores: B − A"), (others, "counts, time, tokens"))
        if rows
    ]
    height = max(2.5, 0.28 * max(len(rows) for rows, _ in panels) + 1.2)
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), height), squeeze=False)
    for ax, (rows, title) in zip(axes[0], panels, strict=True):
        ax.barh(
            [r[0] for r in rows],
            [r[1] for r in rows],
            color=["#c0392b" if r[2] else "#4a7ab5" for r in rows],
        )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{title} (red: worse)", fontsize=9)
        ax.invert_yaxis()
    fig.suptitle(f"{c.a.id} → {c.b.id}", fontsize=8)
    fig.tight_layout()
    return _save(fig, path, plt)
