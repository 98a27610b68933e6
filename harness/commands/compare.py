"""`ksbench compare OLD NEW`: the same combinations measured twice (e.g. two commits), compared.

Per (scenario, combination, metric) of clean runs: NEW/OLD Hodges–Lehmann ratio with its exact
interval, the Wilcoxon signed-rank test, Holm–Bonferroni across the table (one confirmatory family:
any figure significantly worse sets the exit code). Warns when the machines differ (then the
figures are not comparable). Exit codes: 0 nothing got significantly worse, 1 something did,
3 the baseline's findings differ between OLD and NEW, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import power, stats
from harness.report import text

METRICS = ("cpu_seconds", "peak_rss_bytes", "wall_seconds")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("compare", help="compare two stored benches (e.g. two commits)")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.set_defaults(handler=run)


def compare_suites(old: results.Suite, new: results.Suite) -> list[tuple[str, str, str, stats.Comparison]]:
    keys = dict.fromkeys(
        (r.scenario, r.combination)
        for r in new.runs()
        if r.instrument == results.CLEAN and r.role in results.MEASURED_ROLES
    )
    rows: list[tuple[str, str, str, stats.Comparison]] = []
    for scenario, combination in keys:
        for metric in METRICS:
            a = new.measured_values(scenario, combination, metric)
            b = old.measured_values(scenario, combination, metric)
            if not b:
                continue
            # Two separate jobs have no natural pairing: runs are paired in the order they ran.
            n = min(len(a), len(b))
            rows.append(
                (
                    scenario,
                    combination,
                    metric,
                    stats.compare(metric, dict(enumerate(a[:n])), dict(enumerate(b[:n]))),
                )
            )
    adjusted, _ = stats.adjust([c for *_, c in rows], family="compare", method=stats.HOLM)
    return [(s, c, m, adj) for (s, c, m, _), adj in zip(rows, adjusted, strict=True)]


def run(args: argparse.Namespace) -> int:
    old, new = results.load_given(args.old), results.load_given(args.new)
    for line in old.machine.differences(new.machine):
        print(f"warning: machines differ — {line}; the figures may not be comparable", file=sys.stderr)
    rows = compare_suites(old, new)
    print(f"NEW ({args.new}) vs OLD ({args.old}); commit {old.machine.git_commit} → {new.machine.git_commit}")
    print(text.render_comparisons(rows))
    tested = sum(1 for *_, c in rows if c.verdict != stats.TOO_FEW)
    print(stats.Family("compare", tested, stats.HOLM).describe())
    pairs = min((c.pairs for *_, c in rows if c.verdict != stats.TOO_FEW), default=0)
    if tested and power.smallest_p(pairs) > power.lone_threshold(tested):
        print(
            f"with {pairs} pairs no comparison can reach significance across {tested} tests "
            f"(smallest signed-rank p {power.smallest_p(pairs):.3g} > {power.lone_threshold(tested):.3g}): "
            "bench both with more --repeat"
        )
    mismatched = [
        s.name
        for s in new.scenarios
        if (before := old.reference_digest(s.name)) is not None
        and (after := new.reference_digest(s.name)) is not None
        and before != after
    ]
    if mismatched:
        print(
            f"findings of the baseline differ between OLD and NEW on: {', '.join(mismatched)}",
            file=sys.stderr,
        )
        return EXIT_FINDINGS_MISMATCH
    worse = [row for row in rows if row[3].verdict == stats.HIGHER]
    if worse:
        print(f"{len(worse)} figures got significantly worse", file=sys.stderr)
        return EXIT_GATE_MISSED
    return EXIT_OK
