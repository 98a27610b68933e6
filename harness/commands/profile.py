"""`ksbench profile RESULTS`: where CPU went in each py-spy run of a bench, by layer and by function.

Layers (harness.judge.cpu_layers): the Rego engine, JSON decoding, our own pipeline, start-up, other.
Reads the stored artefacts only; exit 0, or 2 when the results cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.commands.gate import load
from harness.exit_codes import EXIT_OK
from harness.judge import cpu_layers
from harness.report import artefacts
from harness.report.text import table
from harness.run import instruments


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "profile", help="CPU by layer (engine, decoding, pipeline) from a bench's py-spy runs"
    )
    parser.add_argument("results", type=Path, help="results.json from `ksbench bench`, or its directory")
    parser.add_argument("--top", type=int, default=8, help="functions by self time per run (default 8)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    suite = load(args.results)
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
    print("CPU by layer (py-spy samples at 199 Hz; a sample belongs to the outermost layer it is inside)")
    print(table(("scenario", "combination", "samples", *cpu_layers.LAYERS), rows))
    for key in sorted(data.stacks):
        profile = instruments.function_times(data.stacks[key], instruments.PYSPY_RATE_HZ)
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
