"""`ksbench profile RESULTS`: where CPU went in each py-spy run of a bench, by layer and by function;
`ksbench profile --events FILE`: CPU seconds per rule from one scan's stage events.

Layers (harness.judge.cpu_layers): the Rego engine, JSON decoding, our own pipeline, start-up, other.
Reads the stored artefacts only; exit 0, or 2 when the results or the events cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import profiles, results, timelines
from harness.exit_codes import EXIT_OK, UsageError
from harness.judge import cpu_layers
from harness.report import artefacts
from harness.report.text import table
from scanner.bounded import read_text_bounded
from scanner.numbers import number


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "profile", help="CPU by layer (engine, decoding, pipeline) from a bench's py-spy runs"
    )
    parser.add_argument(
        "results", type=Path, nargs="?", help="results.json from `ksbench bench`, or its directory"
    )
    parser.add_argument(
        "--top", type=number(1, integer=int), default=8, help="functions (or rules) per run (default 8)"
    )
    parser.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="instead: CPU per rule from a scan's stage events (`ksbench scan --events FILE`, one worker)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.events is not None:
        return _rules(args.events, args.top)
    if args.results is None:
        raise UsageError("give a bench's results (RESULTS) or a scan's stage events (--events FILE)")
    suite = results.load_given(args.results)
    out = args.results if args.results.is_dir() else args.results.parent
    data = artefacts.load(out, suite)
    if not data.stacks:
        print(
            "no py-spy profile in these results: run `ksbench bench --instruments clean,pyspy`",
            file=sys.stderr,
        )
        return EXIT_OK
    rows = []
    for key in sorted(data.stacks):
        shares = cpu_layers.layer_shares(data.stacks[key])
        rows.append(
            (*key, str(shares.samples), *(f"{shares.percent[layer]:.1f}%" for layer in cpu_layers.LAYERS))
        )
    print(
        f"CPU by layer (py-spy samples at {data.rate_hz:g} Hz; a sample belongs to the outermost layer it is inside)"
    )
    print(table(("scenario", "combination", "samples", *cpu_layers.LAYERS), rows))
    for key in sorted(data.stacks):
        profile = profiles.function_times(data.stacks[key], data.rate_hz)
        print(f"\n{' · '.join(key)}: top functions by self time")
        print(
            table(
                ("self s", "inclusive s", "function"),
                [
                    (f"{f.self_seconds:.2f}", f"{f.inclusive_seconds:.2f}", f.function)
                    for f in profile.functions[: args.top]
                ],
            )
        )
    return EXIT_OK


def _rules(path: Path, top: int) -> int:
    try:
        records = timelines.parse_stage_events(read_text_bounded(path, results.RESULTS_MAX_BYTES, "--events"))
    except OSError as exc:
        raise UsageError(f"--events {path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, or not UTF-8
        raise UsageError(f"--events {path}: cannot read: {exc}") from exc
    by_rule = timelines.cpu_by_rule(timelines.spans(records))
    if not by_rule:
        raise UsageError(f"--events {path}: no evaluation with CPU figures (events of an older scanner?)")
    process = max((float(r["cpu"]) for r in records if isinstance(r.get("cpu"), int | float)), default=0.0)
    evaluating = sum(r.cpu_seconds for r in by_rule)
    print(
        f"{path}: process CPU {process:.2f} s by the last event, {evaluating:.2f} s of it evaluating "
        f"{len(by_rule)} rules (exact with one worker; with more, overlapping evaluations share CPU)"
    )
    print(
        table(
            ("rule", "CPU s", "evaluations", "share"),
            [
                (
                    r.rule,
                    f"{r.cpu_seconds:.2f}",
                    str(r.evaluations),
                    f"{100 * r.cpu_seconds / (evaluating or 1):.1f}%",
                )
                for r in by_rule[:top]
            ],
        )
    )
    return EXIT_OK
