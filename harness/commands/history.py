"""`ksbench history REPORTS_DIR`: stored benches per machine, and one metric across commits.

Finds every results.json under REPORTS_DIR, lists them per machine (platform, CPUs, Python,
engine: figures from different machines are not comparable), and plots the median of one
metric of one combination on one scenario across the benches, in the order they were made,
flagging steps (harness.judge.views.history says what a step is). The plot is PNG or HTML by the
suffix of --output (default REPORTS_DIR/history.html). Unreadable files are listed and skipped.
Exit codes: 0 listed; 2 nothing readable found or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from harness import results
from harness.exit_codes import EXIT_OK, UsageError
from harness.judge import views

METRICS = ("cpu_seconds", "wall_seconds", "peak_rss_bytes")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "history", help="list stored benches per machine and plot a metric across commits, flagging steps"
    )
    parser.add_argument("reports", type=Path, help="a directory holding bench outputs (searched recursively)")
    parser.add_argument("--metric", choices=METRICS, default="cpu_seconds")
    parser.add_argument("--scenario", help="default: the largest scenario most benches ran")
    parser.add_argument("--combination", default="all", help="default all (baseline, P1, P1+P5, …)")
    parser.add_argument(
        "--output", "-o", type=Path, help="plot file, .html or .png (default REPORTS/history.html)"
    )
    parser.set_defaults(handler=run)


def find(reports: Path) -> tuple[list[views.StoredBench], list[str]]:
    benches: list[views.StoredBench] = []
    problems: list[str] = []
    for path in sorted(reports.rglob(results.RESULTS_FILE)):
        try:
            benches.append(views.StoredBench(str(path.parent), results.load(path)))
        except (results.ResultsFormatError, OSError) as exc:
            problems.append(f"skipped {path}: {exc}")
    return benches, problems


def default_scenario(benches: list[views.StoredBench]) -> str | None:
    counts = Counter(name for b in benches for name in b.suite.scenario_names())
    if not counts:
        return None
    most = max(counts.values())
    common = {name for name, n in counts.items() if n == most}
    sizes = {
        info.name: info.resource_count or -1
        for b in benches
        for info in b.suite.scenarios
        if info.name in common
    }
    return max(sorted(common), key=lambda name: sizes.get(name, -1))


def run(args: argparse.Namespace) -> int:
    if not args.reports.is_dir():
        raise UsageError(f"{args.reports} is not a directory")
    benches, problems = find(args.reports)
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    if not benches:
        raise UsageError(
            f"no readable {results.RESULTS_FILE} under {args.reports}: run `ksbench bench --out {args.reports}/NAME`"
        )
    scenario = args.scenario or default_scenario(benches)
    assert scenario is not None  # benches exist, so scenario names do
    machines = views.history(benches, args.metric, scenario, args.combination)
    subject = f"{scenario} · {args.combination} · {views.METRIC_LABELS[args.metric]}"
    for machine in machines:
        print(f"machine: {machine.machine}")
        for bench in machine.benches:
            commit = bench.commit[:12] + ("-dirty" if bench.dirty else "")
            print(
                f"  {bench.created_at or '?':<25} {commit:<18} {','.join(bench.scenarios):<24} "
                f"{bench.combinations:>3} combinations {bench.runs_ok:>4}/{bench.runs_total} runs ok  {bench.path}"
            )
        unit, scale = ("MiB", 1048576.0) if args.metric.endswith("_bytes") else ("s", 1.0)
        for point in machine.points:
            change = "" if point.change_percent is None else f" ({point.change_percent:+.1f}%)"
            flag = f"  STEP {point.step}" if point.step else ""
            print(
                f"  {subject}: {point.commit[:12]:<12} {point.median / scale:.3f} {unit} "
                f"[{point.ci_low / scale:.3f}, {point.ci_high / scale:.3f}]{change}{flag}"
            )
    output: Path = args.output or args.reports / "history.html"
    if output.suffix.lower() == ".png":
        plotted = [m for m in machines if m.points]
        if not plotted:
            raise UsageError(f"no figures for {subject} in any bench: choose --scenario/--combination")
        if len(plotted) > 1:
            print(f"note: {len(plotted)} machines; the PNG shows the first (HTML shows all)", file=sys.stderr)
        from harness.report import html  # matplotlib, only when plotting

        png = html.history_png(plotted[0], args.metric, subject)
        with results.writing(output):
            output.write_bytes(png)
    elif output.suffix.lower() in (".html", ".htm"):
        from harness.report import html  # matplotlib, only when plotting

        page = html.render_history(machines, args.metric, subject)
        with results.writing(output):
            output.write_text(page, encoding="utf-8")
    else:
        raise UsageError(f"--output must end in .html or .png, not {output.name!r}")
    print(f"wrote {output}", file=sys.stderr)
    return EXIT_OK
