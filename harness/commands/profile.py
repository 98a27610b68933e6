"""`ksbench profile RESULTS`: where CPU went in each py-spy run of a bench, by layer and by function.

Layers (harness.judge.cpu_layers): the Rego engine, JSON decoding, our own pipeline, start-up, other.
Reads the stored artefacts only; exit 0, or 2 when the results cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import profiles, results
from harness.exit_codes import EXIT_OK
from harness.judge import cpu_layers
from harness.report import artefacts
from harness.report.text import table


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "profile", help="CPU by layer (engine, decoding, pipeline) from a bench's py-spy runs"
    )
    parser.add_argument("results", type=Path, help="results.json from `ksbench bench`, or its directory")
    parser.add_argument("--top", type=int, default=8, help="functions by self time per run (default 8)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
