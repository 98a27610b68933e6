"""The report as one self-contained HTML file: tables, and plots drawn as inline SVG by matplotlib.

Opens offline: no script, stylesheet, font or image is fetched; the only external references
are relative links to the profilers' own files in the results directory. Renders a
harness.judge.views.ReportView (and ScalingSeries/MachineHistory for `ksbench history`); computes
nothing — every number drawn was computed by harness.judge.views, harness.judge.gates or harness.judge.stats.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import gates, stats, views
from harness.judge.views import METRIC_LABELS, ReportView
from harness.report.wording import (
    PER_PHASE_ABSENT,
    PER_PHASE_VARIANTS,
    assessment_text,
    comparison_lines,
    gate_ci,
    gate_measured,
    gate_reason,
    gate_target,
    peak_place_text,
    summary_line,
)

MIB = 1024.0 * 1024.0
BASELINE_COLOUR = "#6b7280"
ALL_COLOUR = "#2563eb"
LOWER_COLOUR = "#2563eb"
HIGHER_COLOUR = "#dc2626"
UNSURE_COLOUR = "#9ca3af"
PROMISE_COLOUR = "#16a34a"
ON_TOP_COLOUR = "#7c3aed"
THRESHOLD_COLOUR = "#b45309"
TONE_COLOURS = {
    stats.LOWER: LOWER_COLOUR,
    "lower?": "#93c5fd",
    stats.HIGHER: HIGHER_COLOUR,
    "higher?": "#fca5a5",
    "unclear": UNSURE_COLOUR,
}
STATUS_CLASS = {
    gates.PASS: "pass",
    gates.FAIL: "fail",
    gates.INCONCLUSIVE: "unsure",
    gates.NOT_RUN: "notrun",
    gates.INFO: "notrun",
}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;margin:0;background:#f9fafb}
main{max-width:1280px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.summary{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;margin:6px 0}
.summary.pass{background:#dcfce7;color:#166534}.summary.fail{background:#fee2e2;color:#991b1b}
.summary.unsure{background:#fef3c7;color:#92400e}
nav a{margin-right:12px;color:#2563eb;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.pass{background:#dcfce7;font-weight:600}td.fail{background:#fee2e2;font-weight:600}
td.unsure{background:#fef3c7;font-weight:600}td.notrun{background:#f3f4f6;color:#6b7280}
.note{color:#4b5563;margin:4px 0 8px}.absent{color:#92400e}.where{color:#4b5563;font-size:12px}
.plot{background:#fff;border:1px solid #e5e7eb;margin:8px 0;padding:4px;overflow-x:auto}
.plot svg{max-width:100%;height:auto}
.flame{overflow-x:auto;background:#fff;border:1px solid #e5e7eb}
pre{background:#111827;color:#f9fafb;padding:8px;overflow-x:auto;font-size:12px}
code{font-size:12px}
"""


@contextmanager
def _svg_settings() -> Iterator[None]:
    # Text stays text (small, fast, selectable; the browser's own sans-serif) and ids are stable.
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "ksbench", "font.size": 9, "axes.titlesize": 10}
    ):
        yield


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False) -> str:
    """rows are escaped unless raw (cells already HTML, e.g. with a class)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header) if any(header) else ""
    body = []
    for row in rows:
        cells = "".join(cell if raw else f"<td>{_e(cell)}</td>" for cell in row)
        body.append(f"<tr>{cells}</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{''.join(body)}</tbody></table>"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:+.{digits}f}%"


def _comparison(c: stats.Comparison | None) -> str:
    if c is None or c.median_ratio != c.median_ratio:
        return "—"
    if c.ci_low != c.ci_low:
        return f"{c.change_percent:+.1f}% (n={c.pairs})"
    return f"{c.change_percent:+.1f}% [{(c.ci_low - 1) * 100:+.1f}, {(c.ci_high - 1) * 100:+.1f}]"


# --- plots ------------------------------------------------------------------------------------


def phase_bars_svg(bars: views.PhaseBars) -> str:
    with _svg_settings():
        fig = Figure(figsize=(12.5, 3.9))
        axes = fig.subplots(1, len(views.BAR_METRICS), sharey=True)
        labels = [f"P{p.phase}" for p in gates.PROMISES] + ["all"]
        ys = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
        for ax, metric in zip(axes, views.BAR_METRICS, strict=True):
            for bar in (b for b in bars.bars if b.metric == metric):
                y = ys[bar.label]
                if bar.promised is not None:
                    low, high = bar.promised
                    ax.add_patch(
                        Rectangle(
                            (low, y - 0.42), high - low, 0.84, facecolor=PROMISE_COLOUR, alpha=0.18,
                            edgecolor=PROMISE_COLOUR, linewidth=0.8, zorder=1,
                        )
                    )  # fmt: skip
                if bar.target_percent is not None:
                    ax.plot(
                        [bar.target_percent] * 2,
                        [y - 0.45, y + 0.45],
                        color="black",
                        ls="--",
                        lw=1.2,
                        zorder=4,
                    )
                if bar.change_percent is None:
                    ax.text(0.5, y, " no figures", va="center", fontsize=8, color="#6b7280")
                    continue
                colour = TONE_COLOURS[bar.tone]
                error = None
                if bar.ci_low_percent is not None and bar.ci_high_percent is not None:
                    error = [
                        [bar.change_percent - bar.ci_low_percent],
                        [bar.ci_high_percent - bar.change_percent],
                    ]
                ax.barh(y, bar.change_percent, height=0.5, color=colour, xerr=error, capsize=3,
                        error_kw={"elinewidth": 1, "ecolor": "#111827"}, zorder=3)  # fmt: skip
                if bar.on_top is not None:
                    mid, low, high = bar.on_top
                    ax.errorbar(mid, y + 0.32, xerr=[[mid - low], [high - mid]], fmt="D", ms=4, color=ON_TOP_COLOUR,
                                elinewidth=1, capsize=2, zorder=5)  # fmt: skip
            ax.axvline(0, color="#111827", lw=0.8)
            ax.set_title(f"{METRIC_LABELS[metric]} change vs baseline (%)")
            ax.grid(axis="x", color="#e5e7eb")
            ax.set_axisbelow(True)
        axes[0].set_yticks(list(ys.values()), list(ys.keys()))
        axes[0].set_ylim(-0.6, len(labels) - 0.4)
        handles = [
            Patch(color=LOWER_COLOUR, label="lower (BH)"),
            Patch(color=TONE_COLOURS["lower?"], label="CI below 0, not after BH"),
            Patch(color=HIGHER_COLOUR, label="higher (BH)"),
            Patch(color=TONE_COLOURS["higher?"], label="CI above 0, not after BH"),
            Patch(color=UNSURE_COLOUR, label="CI straddles 0"),
            Patch(
                facecolor=PROMISE_COLOUR, alpha=0.3, edgecolor=PROMISE_COLOUR, label="plan's promised range"
            ),
            Line2D([], [], color="black", ls="--", label="all-phases gate target"),
            Line2D([], [], color=ON_TOP_COLOUR, marker="D", ls="", ms=4, label="on top of the other phases"),
        ]
        count = f"{bars.resource_count:,} resources" if bars.resource_count is not None else "size unknown"
        fig.suptitle(f"{bars.scenario} ({count}): each phase alone vs baseline, 95% CI", fontsize=11)
        fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.12))
        return _svg(fig)


def scaling_svg(series: Sequence[views.ScalingSeries], threshold: int) -> str:
    with _svg_settings():
        fig = Figure(figsize=(12.5, 3.6))
        axes = fig.subplots(1, len(views.SCALING_METRICS))
        for ax, metric in zip(axes, views.SCALING_METRICS, strict=True):
            scale = MIB if metric == "peak_rss_bytes" else 1.0
            for one in (s for s in series if s.metric == metric):
                colour = BASELINE_COLOUR if one.combination == "baseline" else ALL_COLOUR
                xs = [p.resource_count for p in one.points]
                ax.plot(
                    xs,
                    [p.median / scale for p in one.points],
                    marker="o",
                    color=colour,
                    label=one.combination,
                )
                ax.fill_between(xs, [p.low / scale for p in one.points], [p.high / scale for p in one.points],
                                color=colour, alpha=0.15, lw=0)  # fmt: skip
            ax.axvline(threshold, color=THRESHOLD_COLOUR, ls=":", lw=1.2)
            ax.text(threshold, 0.02, f" {threshold:,}: large above", color=THRESHOLD_COLOUR, fontsize=8,
                    transform=ax.get_xaxis_transform(), va="bottom", rotation=90)  # fmt: skip
            ax.set_xscale("log")
            unit = "MiB" if metric == "peak_rss_bytes" else "s"
            ax.set_title(f"{METRIC_LABELS[metric]} ({unit}), median and min–max")
            ax.set_xlabel("cluster size (resources)")
            ax.grid(color="#e5e7eb")
            ax.legend(frameon=False)
        return _svg(fig)


def timeline_svg(timelines: Sequence[views.Timeline]) -> str:
    with _svg_settings():
        fig = Figure(figsize=(12.5, 3.4))
        ax = fig.subplots()
        for one in timelines:
            colour = BASELINE_COLOUR if one.combination == "baseline" else ALL_COLOUR
            ax.plot([t for t, _ in one.points], [rss / MIB for _, rss in one.points], color=colour,
                    label=f"{one.combination} (peak {max(r for _, r in one.points) / MIB:.0f} MiB)")  # fmt: skip
        ax.set_xlabel("seconds since start")
        ax.set_ylabel("RSS (MiB)")
        ax.grid(color="#e5e7eb")
        ax.legend(frameon=False)
        return _svg(fig)


STAGE_COLOURS = {
    "collect": "#dbeafe",
    "match": "#fde68a",
    "evaluate": "#fee2e2",
    "aggregate": "#dcfce7",
    "report": "#e9d5ff",
}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stage_timeline_svg(timelines: Sequence[views.StageTimeline]) -> str:
    """Cores used (1 s windows) and RSS over time, one column per run, stages shaded, peaks labelled."""
    from matplotlib.patches import Patch

    with _svg_settings():
        fig = Figure(figsize=(12.5, 5.6))
        grid = fig.subplots(2, len(timelines), squeeze=False, sharey="row")
        end = max(max(t for t, _ in one.rss) for one in timelines)
        for column, one in enumerate(timelines):
            cpu_ax, rss_ax = grid[0][column], grid[1][column]
            colour = BASELINE_COLOUR if one.combination == "baseline" else ALL_COLOUR
            for ax in (cpu_ax, rss_ax):
                for stage, begin, finish in one.bands:
                    ax.axvspan(begin, finish, color=STAGE_COLOURS.get(stage, "#f3f4f6"), lw=0, zorder=0)
                ax.set_xlim(0, end * 1.02)
                ax.grid(color="#e5e7eb", zorder=1)
            cpu_ax.plot([t for t, _ in one.cores], [c for _, c in one.cores], color=colour, lw=1.2, zorder=2)
            rss_ax.plot(
                [t for t, _ in one.rss], [r / MIB for _, r in one.rss], color=colour, lw=1.2, zorder=2
            )
            peaks = one.peaks
            cpu_ax.plot([peaks.peak_cpu_at_seconds], [peaks.peak_cpu_cores], "v", color="#111827", zorder=3)
            cpu_ax.annotate(
                f"peak {peaks.peak_cpu_cores:.2f} cores (p95 {peaks.peak_cpu_cores_p95:.2f})\n"
                f"{_short(peaks.peak_cpu_stage)}",
                (peaks.peak_cpu_at_seconds, peaks.peak_cpu_cores), xytext=(0.02, 0.04),
                textcoords="axes fraction", fontsize=8, arrowprops={"arrowstyle": "-", "color": "#6b7280", "lw": 0.8},
            )  # fmt: skip
            rss_peak = peaks.sampled_peak_rss_bytes / MIB
            rss_ax.plot([peaks.peak_rss_at_seconds], [rss_peak], "v", color="#111827", zorder=3)
            rss_ax.annotate(
                f"peak {rss_peak:.0f} MiB\n{_short(peaks.peak_rss_stage)}",
                (peaks.peak_rss_at_seconds, rss_peak), xytext=(0.02, 0.04), textcoords="axes fraction",
                fontsize=8, arrowprops={"arrowstyle": "-", "color": "#6b7280", "lw": 0.8},
            )  # fmt: skip
            cpu_ax.set_title(f"{one.scenario} · {one.combination} (clean run r{one.repetition})")
            rss_ax.set_xlabel("seconds since the scanner started")
            if column == 0:
                cpu_ax.set_ylabel("cores used (1 s window)")
                rss_ax.set_ylabel("RSS (MiB)")
        grid[0][0].set_ylim(bottom=0)
        grid[1][0].set_ylim(bottom=0)
        handles = [Patch(color=colour, label=stage) for stage, colour in STAGE_COLOURS.items()]
        fig.legend(
            handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, -0.04)
        )
        return _svg(fig)


def heat_map_svg(heat: views.HeatMap) -> str:
    import numpy as np

    with _svg_settings():
        rows, cols = len(heat.rows), len(heat.columns)
        fig = Figure(figsize=(max(6.0, 1.05 * cols + 2.5), 0.3 * rows + 1.8))
        ax = fig.subplots()
        values = np.ma.masked_invalid(
            np.array(
                [[cell.change_percent if cell else np.nan for cell in row] for row in heat.cells], dtype=float
            )
        )
        image = ax.imshow(values, cmap="RdYlBu_r", norm=TwoSlopeNorm(0.0, -50.0, 50.0), aspect="auto")
        for i, row in enumerate(heat.cells):
            for j, cell in enumerate(row):
                unsure = cell is not None and cell.tested and not cell.significant
                text = "—" if cell is None else f"{cell.change_percent:+.0f}{'?' if unsure else ''}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        fontweight="bold" if cell and cell.significant else "normal")  # fmt: skip
        ax.set_xticks(range(cols), heat.columns, fontsize=8)
        ax.set_yticks(range(rows), heat.rows)
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", labeltop=True, labelbottom=False)
        plt_bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
        plt_bar.set_label("change vs baseline (%)")
        return _svg(fig)


def cpu_shift_svg(shift: views.CpuShift) -> str:
    with _svg_settings():
        shifts = list(reversed(shift.shifts))
        fig = Figure(figsize=(12.5, 0.32 * len(shifts) + 1.2))
        ax = fig.subplots()
        labels = [s.function if len(s.function) <= 70 else s.function[:67] + "…" for s in shifts]
        ax.barh(range(len(shifts)), [s.delta_seconds for s in shifts],
                color=[HIGHER_COLOUR if s.delta_seconds > 0 else LOWER_COLOUR for s in shifts])  # fmt: skip
        ax.set_yticks(range(len(shifts)), labels, fontsize=8)
        ax.axvline(0, color="#111827", lw=0.8)
        ax.set_xlabel(f"self time, {shift.candidate} minus baseline (s)")
        ax.grid(axis="x", color="#e5e7eb")
        return _svg(fig)


# --- sections ---------------------------------------------------------------------------------


def _gates(view: ReportView) -> str:
    rows = []
    for g in view.verdict.gates:
        css = STATUS_CLASS.get(g.status, "")
        rows.append(
            "".join(
                [
                    f"<td>{_e(g.scenario)}</td>",
                    f"<td>{_e(g.name)}</td>",
                    f"<td>{_e(gate_target(g))}</td>",
                    f'<td class="num">{_e(gate_measured(g))}</td>',
                    f'<td class="num">{_e(gate_ci(g))}</td>',
                    f'<td class="{css}">{_e(g.status.upper())}</td>',
                    f"<td>{_e(gate_reason(g).splitlines()[0] if g.reason else '')}"
                    + (
                        f'{"<br>" if g.reason else ""}<span class="where">peak: {_e(peak_place_text(g.peaks))}</span>'
                        if g.peaks
                        else ""
                    )
                    + "</td>",
                ]
            )
        )
    table = _table(
        ("scenario", "gate", "target", "measured", "95% CI", "result", "why"), [[r] for r in rows], True
    )
    return (
        '<section id="gates"><h2>Gates: the plan\'s success criteria</h2>'
        '<p class="note">All phases vs baseline, clean runs only; a gate passes only when the whole '
        "95% interval of the paired ratio (Hodges–Lehmann) clears its target; exit 0 claims every gate at "
        "once, an intersection–union test that needs no adjustment. Inconclusive means "
        "figures are missing — a failure to measure, not a regression.</p>"
        f'<p class="note">{_e(_family(view, "gates"))}</p>'
        f"{table}</section>"
    )


def _family(view: ReportView, name: str) -> str:
    family = view.verdict.family(name)
    return family.describe() if family is not None else ""


def _absent(anchor: str, title: str, why: str) -> str:
    """A section with no figures: one line naming it and what adds it."""
    return f'<section id="{anchor}"><p class="absent"><b>{_e(title)}</b>: {_e(why)}</p></section>'


def _phases(view: ReportView) -> str:
    if not view.verdict.phases:
        return _absent("phases", "Per phase", PER_PHASE_VARIANTS)
    if not any(p.alone or p.in_combination for p in view.verdict.phases):
        return _absent("phases", "Per phase", PER_PHASE_ABSENT)
    rows = [
        (
            p.scenario, f"P{p.phase}", p.promise.describe(), _comparison(p.alone), _comparison(p.in_combination),
            _pct(p.main_effect_percent), assessment_text(p.assessment),
        )
        for p in view.verdict.phases
    ]  # fmt: skip
    parts = [
        '<section id="phases"><h2>Per phase: promised vs measured</h2>',
        '<p class="note">Hodges–Lehmann change of the paired candidate/baseline ratios with its exact 95% '
        "interval (Wilcoxon signed-rank). “On top of the others”: all phases vs all phases without this "
        f"one. {_e(_family(view, 'per-phase'))}.</p>",
        _table(
            ("scenario", "phase", "promise", "alone", "on top of the others", "main effect", "assessment"),
            rows,
        ),
    ]
    for bars in view.phase_bars:
        parts.append(f'<div class="plot phase-bars">{phase_bars_svg(bars)}</div>')
    parts.append("</section>")
    return "".join(parts)


def _scaling(view: ReportView) -> str:
    if not view.scaling:
        return _absent(
            "scaling",
            "Scaling with cluster size",
            "one size ran; --full (or --scenarios small,medium,large) adds it",
        )
    return (
        '<section id="scaling"><h2>Scaling with cluster size</h2><p class="note">Clean runs, baseline '
        f"vs all phases; the dotted line marks the plan's {view.threshold_resources:,}-resource threshold.</p>"
        f'<div class="plot">{scaling_svg(view.scaling, view.threshold_resources)}</div></section>'
    )


def _timeline(view: ReportView) -> str:
    if not view.timelines:
        return _absent("memory-timeline", "Memory over time", view.timeline_note.removeprefix("absent: "))
    return (
        '<section id="memory-timeline"><h2>Memory over time</h2>'
        f'<p class="note">{_e(view.timeline_note)}</p><div class="plot">{timeline_svg(view.timelines)}</div></section>'
    )


def _stage_timeline(view: ReportView) -> str:
    if not view.stage_timelines:
        title = "CPU and memory over time, by stage"
        return _absent("stage-timeline", title, view.stage_timeline_note.removeprefix("absent: "))
    return (
        '<section id="stage-timeline"><h2>CPU and memory over time, by stage</h2>'
        f'<p class="note">{_e(view.stage_timeline_note)}</p>'
        f'<div class="plot">{stage_timeline_svg(view.stage_timelines)}</div></section>'
    )


def _heat_map(view: ReportView) -> str:
    if not view.heat_map.rows:
        return _absent(
            "heatmap", "Combinations × metrics", "only the baseline ran; --combinations adds candidates"
        )
    else:
        body = (
            '<p class="note">Hodges–Lehmann change vs baseline in percent; bold: significant after '
            f"Benjamini–Hochberg across the map ({_e(_family(view, 'heat map'))}); "
            "“?”: not significant or too few runs; blue is lower (better), red higher. The memray column (the "
            "Python side at the peak, mmap and Go-runtime records left out) compares one deterministic "
            f'profiled run each.</p><div class="plot">{heat_map_svg(view.heat_map)}</div>'
        )
    return f'<section id="heatmap"><h2>Combinations × metrics</h2>{body}</section>'


def _cpu_shift(view: ReportView) -> str:
    shift = view.cpu_shift
    if shift is None or not shift.shifts:
        return _absent("cpu-shift", "Where CPU time moved", view.cpu_shift_note.removeprefix("absent: "))
    rows = [
        (
            s.function,
            f"{s.baseline_self_seconds:.3f}",
            f"{s.candidate_self_seconds:.3f}",
            f"{s.delta_seconds:+.3f}",
        )
        for s in shift.shifts
    ]
    return (
        '<section id="cpu-shift"><h2>Where CPU time moved</h2>'
        f'<p class="note">{_e(view.cpu_shift_note)} Sampled: baseline {shift.baseline_sampled_seconds:.2f} s, '
        f"{_e(shift.candidate)} {shift.candidate_sampled_seconds:.2f} s.</p>"
        f'<div class="plot">{cpu_shift_svg(shift)}</div>'
        f"<details><summary>Table</summary>"
        f"{_table(('function', 'baseline self s', f'{shift.candidate} self s', 'change s'), rows)}</details></section>"
    )


def _flamegraphs(view: ReportView) -> str:
    if not view.links and not view.flamegraphs:
        why = "no profiled runs; --instruments memray,pyspy adds them"
        return _absent("flamegraphs", "Flame graphs and profiles", why)
    parts = ['<section id="flamegraphs"><h2>Flame graphs and profiles</h2>']
    for scenario, combination, svg in view.flamegraphs:
        parts.append(
            f"<details><summary>py-spy flame graph: {_e(scenario)} · {_e(combination)} (inline; hover for samples)"
            f'</summary><div class="flame">{svg}</div></details>'
        )
    if view.links:
        rows = []
        for row in view.links:
            cells = [f"<td>{_e(row.scenario)}</td><td>{_e(row.combination)}</td>"]
            for link in row.links:
                if link is None:
                    cells.append("<td>—</td>")
                elif link.present:
                    cells.append(f'<td><a href="{_e(link.href)}">open</a></td>')
                else:
                    cells.append('<td class="absent">file missing</td>')
            rows.append("".join(cells))
        table = _table(("scenario", "combination", *view.link_kinds), [[r] for r in rows], True)
        parts.append('<p class="note">Links open the profilers\' own files next to results.json.</p>')
        parts.append(
            table
            if len(rows) <= 6
            else f"<details><summary>{len(rows)} profiled runs</summary>{table}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _parity(view: ReportView) -> str:
    parts = [
        '<section id="parity"><h2>Findings parity</h2><p class="note">Every report is normalised and '
        "digested; a combination counts only when its digest equals the baseline's.</p>"
    ]
    if not view.parity:
        parts.append('<p class="absent">No report digests were recorded.</p>')
    for one in view.parity:
        differ = [row for row in one.rows if not row.identical]
        reports = sum(row.runs for row in one.rows)
        headline = (
            f"all {reports} reports of {len(one.rows)} combinations/variants identical"
            if not differ
            else f"{len(differ)} of {len(one.rows)} combinations/variants DIFFER"
        )
        css = "fail" if differ or one.mismatches else "pass"
        parts.append(
            f"<h3>{_e(one.scenario)}: <span class='summary {css}'>{_e(headline)}</span> "
            f"reference digest <code>{_e(one.reference or '?')}</code></h3>"
        )
        rows = []
        for row in one.rows:
            cell = "pass" if row.identical else "fail"
            variant = f" [{row.variant}]" if row.variant else ""
            rows.append(
                f"<td>{_e(row.combination + variant)}</td><td class='num'>{row.runs}</td>"
                f"<td><code>{_e(', '.join(d[:23] for d in row.digests))}</code></td>"
                f"<td class='{cell}'>{'identical' if row.identical else 'DIFFERS'}</td>"
            )
        table = _table(("combination", "reports", "digest(s)", "vs baseline"), [[r] for r in rows], True)
        parts.append(table if differ else f"<details><summary>per combination</summary>{table}</details>")
        for text in one.mismatches:
            parts.append(f"<pre>{_e(text)}</pre>")
    parts.append("</section>")
    return "".join(parts)


def _extra(view: ReportView) -> str:
    verdict = view.verdict
    parts = ['<section id="noise"><h2>Noise floor, notes and missing figures</h2>']
    if verdict.noise:
        parts.append(
            _table(
                ("scenario", "metric", "A/A pairs", "±95% of single runs"),
                [(s, METRIC_LABELS.get(m, m), str(f.pairs), f"±{f.spread_percent:.1f}%") for (s, m), f in verdict.noise.items()],
            )
        )  # fmt: skip
    if verdict.interactions:
        strong = sorted(verdict.interactions, key=lambda i: -abs(i.effect_percent))[:12]
        parts.append("<h3>Strongest pairwise interactions</h3>")
        parts.append(
            _table(
                ("scenario", "metric", "pair", "extra change"),
                [(i.scenario, METRIC_LABELS.get(i.metric, i.metric), f"P{i.phases[0]}×P{i.phases[1]}", f"{i.effect_percent:+.1f}%") for i in strong],
            )
        )  # fmt: skip
    for note in verdict.interaction_notes:
        parts.append(f'<p class="note">note: {_e(note)}</p>')
    if verdict.missing:
        items = "".join(f"<li>{_e(line)}</li>" for line in verdict.missing[:50])
        more = f"<li>… and {len(verdict.missing) - 50} more</li>" if len(verdict.missing) > 50 else ""
        parts.append(
            f"<details><summary>{len(verdict.missing)} runs without figures (failures to measure, "
            f"not regressions)</summary><ul>{items}{more}</ul></details>"
        )
    for problem in view.problems:
        parts.append(f'<p class="absent">artefact: {_e(problem)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _machine(view: ReportView) -> str:
    return (
        '<section id="machine"><h2>Machine and tools</h2>'
        f"{_table(('', ''), [(k, v) for k, v in view.machine])}</section>"
    )


def _summary_class(exit_code: int) -> str:
    return {EXIT_OK: "pass", EXIT_GATE_MISSED: "fail", EXIT_FINDINGS_MISMATCH: "fail"}.get(
        exit_code, "unsure"
    )


SECTIONS = (
    ("gates", "gates"), ("stage-timeline", "timelines"), ("phases", "phases"), ("scaling", "scaling"),
    ("memory-timeline", "memory"),
    ("heatmap", "heat map"), ("cpu-shift", "CPU shift"), ("flamegraphs", "flame graphs"),
    ("parity", "parity"), ("noise", "noise"), ("machine", "machine"),
)  # fmt: skip


def render(view: ReportView) -> str:
    verdict = view.verdict
    nav = "".join(f'<a href="#{anchor}">{_e(label)}</a>' for anchor, label in SECTIONS)
    body = "".join(
        [
            _gates(view), _stage_timeline(view), _phases(view), _scaling(view), _timeline(view), _heat_map(view), _cpu_shift(view),
            _flamegraphs(view), _parity(view), _extra(view), _machine(view),
        ]
    )  # fmt: skip
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(view.title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{_e(view.title)}</h1>"
        f'<div class="summary {_summary_class(verdict.exit_code)}" id="summary">{_e(summary_line(verdict))}</div>'
        + "".join(f'<p class="note">{_e(line)}</p>' for line in comparison_lines(view.suite))
        + f"<nav>{nav}</nav>{body}"
        "</main></body></html>\n"
    )


# --- history ----------------------------------------------------------------------------------


def _history_figure(machine: views.MachineHistory, metric: str, title: str) -> Figure:
    scale = MIB if metric.endswith("_bytes") else 1.0
    unit = "MiB" if metric.endswith("_bytes") else "s"
    points = machine.points
    fig = Figure(figsize=(12.5, 3.6))
    ax = fig.subplots()
    xs = list(range(len(points)))
    ax.errorbar(xs, [p.median / scale for p in points],
                yerr=[[(p.median - p.ci_low) / scale for p in points], [(p.ci_high - p.median) / scale for p in points]],
                fmt="o-", color=ALL_COLOUR, capsize=3)  # fmt: skip
    for x, p in zip(xs, points, strict=True):
        if p.step:
            colour = HIGHER_COLOUR if p.step == "up" else PROMISE_COLOUR
            ax.annotate(f"step {p.change_percent:+.1f}%", (x, p.median / scale), xytext=(0, 14),
                        textcoords="offset points", ha="center", color=colour, fontweight="bold",
                        arrowprops={"arrowstyle": "->", "color": colour})  # fmt: skip
    ax.set_xticks(xs, [f"{p.commit[:8]}{'*' if p.dirty else ''}\n{p.created_at[:10]}" for p in points])
    ax.set_ylabel(f"{METRIC_LABELS.get(metric, metric)} ({unit}), median and 95% CI")
    ax.set_title(f"{title} — {machine.machine}")
    ax.grid(color="#e5e7eb")
    return fig


def history_svg(machine: views.MachineHistory, metric: str, title: str) -> str:
    with _svg_settings():
        return _svg(_history_figure(machine, metric, title))


def history_png(machine: views.MachineHistory, metric: str, title: str) -> bytes:
    """The same plot as PNG bytes (for `ksbench history --output FILE.png`)."""
    with _svg_settings():
        buffer = io.BytesIO()
        _history_figure(machine, metric, title).savefig(
            buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None}
        )
        return buffer.getvalue()


def render_history(machines: Sequence[views.MachineHistory], metric: str, subject: str) -> str:
    parts = []
    for machine in machines:
        parts.append(f"<h2>{_e(machine.machine)}</h2>")
        if machine.points:
            parts.append(f'<div class="plot">{history_svg(machine, metric, subject)}</div>')
            steps = [p for p in machine.points if p.step]
            parts.append(
                f'<p class="note">{len(steps)} step(s): a change beyond both medians\' 95% CIs and the A/A noise floor.</p>'
            )
        else:
            parts.append(f'<p class="absent">no figures for {_e(subject)} on this machine</p>')
        rows = [
            (b.created_at, b.commit[:12] + (" (dirty)" if b.dirty else ""), ", ".join(b.scenarios),
             str(b.combinations), f"{b.runs_ok}/{b.runs_total}", b.path)
            for b in machine.benches
        ]  # fmt: skip
        parts.append(_table(("made", "commit", "scenarios", "combinations", "runs ok", "results"), rows))
    title = f"ksbench history — {subject}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>{''.join(parts)}</main></body></html>\n"
    )
