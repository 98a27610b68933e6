"""`ksbench kubescape build|artifacts|compare`: kubescape itself under test; argument handling only.

The work is in harness.kubescape (building at a commit, the offline policy folder); `compare` is
`ksbench bench --kubescape BASE --kubescape head=HEAD` with a pull request's defaults (clean runs,
small and threshold, verdict.md for a comment), composed from harness.commands.options.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness import results
from harness.commands.options import (
    add_build_options,
    add_enforce_option,
    add_kubescape_options,
    cluster_opener,
    enforced_gates,
    kubescape_variants,
    parse_scenarios,
    parse_shard,
    run_plan,
)
from harness.commands.options import folder as folder_type
from harness.exit_codes import EXIT_OK, UsageError
from harness.judge import prediction
from harness.kubescape import artifacts, build
from harness.report import kubescape_table, text
from harness.run import runner
from scanner.numbers import number

COMPARE_SCENARIOS = "small,threshold"  # the small-cluster criterion, and the memory one above 2,500
COMPARE_REPEAT = 10  # paired blocks: enough to resolve the 15% small-cluster criterion (docs/measuring.md)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "kubescape", help="build kubescape at its commits and give it offline policies"
    )
    sub = parser.add_subparsers(dest="kubescape_command", metavar="ACTION")
    build_parser = sub.add_parser(
        "build",
        help="build kubescape at each REF with your Go into a cache (the checkout is not touched)",
        description="Build kubescape at each REF (commit, tag, branch, fbef268f~1) from a checkout or "
        "bare clone with the Go on PATH; binaries are cached by commit, Go version and --replace. "
        "Prints REF, commit and binary path per line.",
    )
    build_parser.add_argument("refs", nargs="+", metavar="REF")
    add_build_options(build_parser, repo_required=True)
    build_parser.set_defaults(handler=_build)
    art_parser = sub.add_parser(
        "artifacts",
        help="make the offline policy folder kubescape reads with --use-artifacts-from, from a regolibrary checkout",
    )
    art_parser.add_argument(
        "regolibrary", type=folder_type(), metavar="REGOLIB", help="a kubescape/regolibrary checkout"
    )
    art_parser.add_argument("--out", type=Path, required=True, help="a new folder to write")
    art_parser.add_argument("--ref", help="export this ref of the checkout (default: the checkout as it is)")
    art_parser.add_argument(
        "--at-date-of",
        metavar="KUBESCAPE_REF",
        help="use the newest regolibrary release (vN.N.N tag) older than this kubescape ref's commit (needs --repo)",
    )
    art_parser.add_argument("--repo", type=folder_type(), help="the kubescape checkout --at-date-of reads")
    art_parser.set_defaults(handler=_artifacts)
    add_compare_parser(sub)
    predict = sub.add_parser(
        "predict",
        help="our scanner's predicted ratios beside a kubescape build's measured ones, per scenario and metric",
    )
    predict.add_argument(
        "model",
        type=Path,
        metavar="MODEL_RESULTS",
        help="a bench of our scanner (results.json or its folder)",
    )
    predict.add_argument("binary", type=Path, metavar="BINARY_RESULTS", help="a bench of kubescape builds")
    predict.add_argument(
        "--combination", default="P1+P2+P3", help="the model's combination (default P1+P2+P3)"
    )
    predict.add_argument("--variant", help="the binary bench's variant (default: the one its gates judged)")
    predict.set_defaults(handler=_predict)
    table = sub.add_parser(
        "table",
        help="the Markdown table of stored kubescape benches (docs/kubescape.md quotes it; a test checks it)",
    )
    table.add_argument(
        "benches", type=Path, nargs="+", metavar="DIR", help="bench folders holding results.json"
    )
    table.add_argument("--root", type=Path, default=None, help="name each bench relative to this folder")
    table.set_defaults(handler=_table)


def add_compare_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compare",
        help="build BASE and HEAD, bench them on the embedded cluster, print the verdict (a pull request's gate)",
        description="Build kubescape at BASE and HEAD (or take them from the cache), bench HEAD against "
        "BASE offline on the embedded cluster in interleaved clean runs, judge the plan's criteria and "
        "findings parity, and write results.json, verdict.txt, verdict.md and report.html.",
    )
    parser.add_argument("base", metavar="BASE", help="the reference ref (e.g. the pull request's base)")
    parser.add_argument("head", metavar="HEAD", help="the ref under test")
    add_kubescape_options(parser, refs=False, repo_required=True)
    parser.add_argument(
        "--scenarios", default=COMPARE_SCENARIOS, help=f"comma-separated (default {COMPARE_SCENARIOS})"
    )
    parser.add_argument(
        "--repeat",
        type=number(1, 10_000, integer=int),
        default=COMPARE_REPEAT,
        help=f"paired blocks (default {COMPARE_REPEAT})",
    )
    parser.add_argument(
        "--timeout",
        type=number(0, low_open=True),
        default=900.0,
        help="per-run time-out in seconds (default 900)",
    )
    parser.add_argument(
        "--shard", metavar="K/N", help="run blocks K, K+N, … only; combine with `ksbench merge`"
    )
    parser.add_argument(
        "--out", type=Path, help="output directory (default reports/kubescape-compare-<time>)"
    )
    parser.add_argument("--no-html", action="store_true", help="skip report.html")
    parser.add_argument(
        "--measure-anyway", action="store_true", help="on a findings change, measure on (figures untrusted)"
    )
    add_enforce_option(parser)
    parser.set_defaults(handler=_compare, backend="embedded", kubeconfig=None, context=None)


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    git_dir = build.check_repo(args.repo)
    replaces = [build.parse_replace(text) for text in args.replace]
    cache = args.cache or build.default_cache()
    commits = [(ref, build.resolve(git_dir, ref)) for ref in args.refs]  # every ref checked before building
    for ref, _commit in commits:
        built = build.build(
            git_dir, ref, cache, replaces=replaces, stamped=not args.no_stamp, progress=_progress
        )
        how = "cached" if built.reused else f"built in {built.seconds / 60:.1f} min"
        how += f", version {built.stamp}" if built.stamp else ", no version stamp"
        caveat = f" ({built.caveat})" if built.caveat else ""
        _progress(f"{ref}: {how} with {built.go_version}{caveat}")
        print(f"{ref}\t{built.commit}\t{built.binary}", flush=True)
    return EXIT_OK


def _artifacts(args: argparse.Namespace) -> int:
    ref = args.ref
    if args.at_date_of:
        if ref:
            raise UsageError("give --ref or --at-date-of, not both")
        if args.repo is None:
            raise UsageError("--at-date-of needs --repo (the kubescape checkout whose commit date it reads)")
        git_dir = build.check_repo(args.repo)
        date = artifacts.commit_date(git_dir, build.resolve(git_dir, args.at_date_of))
        ref = artifacts.release_at(args.regolibrary, date)
        _progress(f"regolibrary {ref}: the newest release older than {args.at_date_of} ({date})")
    made = artifacts.make(args.regolibrary, args.out, ref)
    _progress(f"{len(made.frameworks)} frameworks from regolibrary {(made.regolibrary_commit or '?')[:12]}")
    print(made.folder)
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    scenarios = parse_scenarios(args.scenarios)
    enforced = enforced_gates(args)
    built, builds = kubescape_variants(args, [f"baseline={args.base}", f"head={args.head}"])
    plan = runner.Plan(
        scenarios=scenarios,
        combinations=tuple(v.name for v in built),
        instruments=(results.CLEAN,),
        repeat=args.repeat,
        timeout_seconds=args.timeout,
        variants=built,
        gated="head",
        shard=parse_shard(args.shard),
        measure_anyway=args.measure_anyway,
        builds=builds,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("reports") / f"kubescape-compare-{stamp}"
    return run_plan(plan, out, cluster_opener(args, out), enforced, html=not args.no_html, markdown=True)


def _predict(args: argparse.Namespace) -> int:
    model, binary = results.load_given(args.model), results.load_given(args.binary)
    variant = args.variant or str(binary.config.get("gated") or "")
    if not variant:
        raise UsageError(f"{args.binary}: not a bench of command variants; give --variant NAME")
    found = prediction.rows(model, args.combination, binary, variant)
    if not found:
        raise UsageError("the two benches share no scenario")
    print(
        f"model {args.combination} vs baseline ({args.model}) beside binary {variant} vs baseline ({args.binary})"
    )
    print(text.render_prediction(found))
    return EXIT_OK


def _table(args: argparse.Namespace) -> int:
    entries = []
    for folder in args.benches:
        name = folder.relative_to(args.root).as_posix() if args.root else folder.name
        entries.append(kubescape_table.Entry(name, results.load_given(folder)))
    print(kubescape_table.render(entries), end="")
    return EXIT_OK
