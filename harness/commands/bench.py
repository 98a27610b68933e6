"""`ksbench bench`: measure phase combinations on scenario clusters and judge the plan's targets.

Argument handling and wiring only: clusters come from harness.clusters, runs from
harness.run.runner, the verdict and everything written after the runs from harness.report.outputs.
Writes into --out: results.json (rewritten after every run), runs/ (each run's report and
artefacts), verdict.txt, benchstat.txt, pytest-benchmark.json.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness import results
from harness.commands.options import (
    add_backend_options,
    add_enforce_option,
    add_kubescape_options,
    add_scanner_option,
    cluster_opener,
    enforced_gates,
    kubescape_variants,
    parse_scenarios,
    parse_shard,
    policy_scan_args,
    run_plan,
    scanner_prefix,
)
from harness.exit_codes import UsageError
from harness.judge import gates, verdict
from harness.run import runner, variants
from harness.run.instruments import registry
from scanner.numbers import number
from scanner.phases import PhasesError, describe_named_sets, parse_combinations

# The quick start judges all five criteria: `small` (100) for the small-cluster wall criterion,
# `threshold` (2,600, above the plan's 2,500) for the memory and large-cluster ones. It keeps the
# statistics (5 blocks, A/A, race runs) and drops what the criteria do not need, to stay within
# 10 minutes on 2 cores: combinations (baseline vs all phases) and `medium`, which judges nothing
# `small` does not (661 s with it, quiet machine; `--full` keeps it).
DEFAULT_SCENARIOS = "small,threshold"
DEFAULT_COMBINATIONS = "baseline;all"
FULL_SCENARIOS = "small,medium,threshold,large"
DEFAULT_REPEAT = 5
MAX_REPEAT = 10_000  # blocks per scenario: far beyond any budget, short of an endless bench
# The quick start runs clean runs only (the gated figures): its memray and py-spy runs cost 73 s of
# its 389 s on a quiet 2-core machine, over the 6 minutes a quick start may take. --full (or
# --instruments) adds the profilers, which explain and are never gated.
DEFAULT_INSTRUMENTS = results.CLEAN
FULL_INSTRUMENTS = ",".join(one.name for one in registry.BUILT_IN)  # clean,memray,pyspy
# CI's gate: small enough for minutes on 2 cores; CPU is reported, not enforced, because the plan's
# CPU saving is not promised below the large-cluster size (see README: the plan's five criteria).
CI_GATE = {
    "scenarios": "small",
    "combinations": "baseline;all",
    "repeat": "20",
    "instruments": results.CLEAN,
    "enforce": "findings,crash,wall,memory",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure phase combinations (clean, memray, py-spy) and judge the plan's targets",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--scenarios", default=None, help=f"comma-separated (default {DEFAULT_SCENARIOS})")
    parser.add_argument(
        "--combinations",
        default=None,
        help=f"{describe_named_sets()} or a ;-separated list such as 'baseline;1;1,3;all' "
        f"(default {DEFAULT_COMBINATIONS!r})",
    )
    parser.add_argument(
        "--repeat",
        default=str(DEFAULT_REPEAT),
        help=f"clean blocks per scenario, or auto: enough to resolve the smallest promised change "
        f"({gates.SMALLEST_PROMISE_PERCENT:g}%%) at the measured noise, within --budget-minutes "
        f"(default {DEFAULT_REPEAT})",
    )
    parser.add_argument(
        "--budget-minutes",
        type=number(0, low_open=True),
        default=30.0,
        help="--repeat auto: at most this long per scenario (default 30)",
    )
    parser.add_argument(
        "--instruments",
        default=DEFAULT_INSTRUMENTS,
        help=f"any of {', '.join(registry.names())} (default clean; --full: {FULL_INSTRUMENTS})",
    )
    add_backend_options(parser)
    parser.add_argument("--engine", help="the scanner's Rego engine (opa, regorus, regopy)")
    parser.add_argument("--out", type=Path, help="output directory (default reports/bench-<UTC time>)")
    parser.add_argument("--resume", action="store_true", help="continue the interrupted bench in --out")
    parser.add_argument(
        "--timeout",
        type=number(0, low_open=True),
        default=900.0,
        help="per-run time-out in seconds (default 900)",
    )
    parser.add_argument(
        "--seed", type=number(0, integer=int), default=1, help="seed of the run order inside each block"
    )
    add_scanner_option(parser)
    add_variant_options(parser)
    add_kubescape_options(parser)
    add_enforce_option(parser)
    parser.add_argument(
        "--measure-anyway",
        action="store_true",
        help="on a findings mismatch, measure on and show the figures marked untrusted (the exit code "
        "still says the findings differ); without it the bench stops after a few findings-only runs",
    )
    parser.add_argument(
        "--lean",
        action="store_true",
        help="scale runs: no warm-up and no A/A run (when one baseline scan costs many minutes); the "
        "ratios' intervals still come from the blocks, the A/A noise floor is not measured",
    )
    parser.add_argument(
        "--ci-gate",
        action="store_true",
        help=f"CI's bounded gate: {CI_GATE['scenarios']}, {CI_GATE['combinations']}, {CI_GATE['repeat']} clean "
        f"blocks, enforcing {CI_GATE['enforce']} (explicit options win)",
    )
    parser.add_argument(
        "--no-html", action="store_true", help="skip report.html (matplotlib takes a few seconds)"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"scenarios {FULL_SCENARIOS}, every combination: {describe_named_sets(['all'])}, and the "
        "memray and py-spy runs (unless given)",
    )
    parser.set_defaults(handler=run)


def add_variant_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME='COMMAND'",
        help="a scanner under test as a command line with {report} and {kubeconfig}, {context} or "
        "{manifests} (repeatable; one must be named baseline); replaces --combinations",
    )
    parser.add_argument(
        "--variants",
        type=Path,
        metavar="FILE.toml",
        help="variants from [variants.NAME] tables (command, env)",
    )
    parser.add_argument(
        "--gate-variant",
        metavar="NAME",
        help="the variant the plan's gates judge (default: the first after baseline)",
    )
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="run whole blocks K, K+N, … only (a block's baseline and candidates stay together); "
        "combine the N result folders with `ksbench merge`",
    )


def build_variants(
    args: argparse.Namespace, built: tuple[variants.Variant, ...] = ()
) -> tuple[variants.Variant, ...]:
    """--variant, --variants and the kubescape builds, checked together (one baseline, unique names)."""
    try:
        given = [*built, *(variants.parse_variant(text) for text in args.variant)]
        if args.variants is not None:
            given += variants.load_variants(args.variants)
        return variants.check(given) if given else ()
    except variants.VariantError as exc:
        raise UsageError(str(exc)) from exc


def apply_ci_gate(args: argparse.Namespace) -> None:
    """--ci-gate fills in what the user did not give."""
    if not args.ci_gate:
        return
    for name, value in CI_GATE.items():
        given = getattr(args, name)
        if given is None or given == DEFAULTS.get(name):
            setattr(args, name, value)


DEFAULTS = {"repeat": str(DEFAULT_REPEAT), "instruments": DEFAULT_INSTRUMENTS, "enforce": "all"}


def build_plan(args: argparse.Namespace) -> runner.Plan:
    scenario_text = args.scenarios or (FULL_SCENARIOS if args.full else DEFAULT_SCENARIOS)
    scenarios = parse_scenarios(scenario_text)
    try:
        chosen = parse_combinations(args.combinations or ("all" if args.full else DEFAULT_COMBINATIONS))
    except PhasesError as exc:
        raise UsageError(str(exc)) from exc
    combinations = tuple(dict.fromkeys(["baseline", *(str(c) for c in chosen)]))
    try:
        given = (
            FULL_INSTRUMENTS if args.full and args.instruments == DEFAULT_INSTRUMENTS else args.instruments
        )
        chosen_instruments = tuple(registry.parse_instruments(given))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if results.CLEAN not in chosen_instruments:
        chosen_instruments = (results.CLEAN, *chosen_instruments)  # the gated figures come from clean runs
    if args.repeat == "auto":
        repeat = None
    else:
        try:
            repeat = number(1, MAX_REPEAT, integer=int)(args.repeat)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"--repeat takes auto or {exc}") from exc
    scan_args = (("--engine", args.engine) if args.engine else ()) + policy_scan_args(args)
    built, builds = kubescape_variants(args, getattr(args, "kubescape", []))
    chosen_variants = build_variants(args, built)
    gated = "all"
    if chosen_variants:
        if args.combinations or args.engine or args.full:
            raise UsageError(
                "--variant/--variants replace --combinations, --engine and --full: give one or the other"
            )
        combinations = tuple(v.name for v in chosen_variants)
        gated = args.gate_variant or combinations[1]
        if gated not in combinations or gated == variants.BASELINE:
            raise UsageError(f"--gate-variant {gated!r}: name one of {', '.join(combinations[1:])}")
    shard = parse_shard(args.shard)
    if shard is not None and repeat is None:
        raise UsageError("--shard needs a fixed --repeat: every shard must deal the same blocks")
    lean = bool(getattr(args, "lean", False))
    if lean and repeat is None:
        raise UsageError("--lean needs a fixed --repeat: --repeat auto plans from the A/A runs --lean skips")
    return runner.Plan(
        scenarios=scenarios,
        combinations=combinations,
        instruments=chosen_instruments,
        repeat=repeat,
        timeout_seconds=args.timeout,
        scanner=scanner_prefix(args),
        scan_args=scan_args,
        seed=args.seed,
        variants=chosen_variants,
        gated=gated,
        shard=shard,
        measure_anyway=bool(getattr(args, "measure_anyway", False)),
        builds=builds,
        lean=lean,
    )


def repeat_policy(args: argparse.Namespace, plan: runner.Plan) -> runner.RepeatPolicy:
    """`--repeat auto`: the judge's plan for this bench, announced once per scenario."""
    announced: set[str] = set()

    def policy(suite: results.Suite, scenario: str) -> int:
        blocks, why = verdict.auto_repeat(
            suite, scenario, len(plan.scenarios), plan.combinations, args.budget_minutes * 60.0
        )
        if why != "the pilot blocks first" and scenario not in announced:
            announced.add(scenario)
            print(f"--repeat auto on {scenario}: {blocks} blocks — {why}", file=sys.stderr)
        return blocks

    return policy


def run(args: argparse.Namespace) -> int:
    apply_ci_gate(args)
    enforced = enforced_gates(args)
    plan = build_plan(args)
    out = args.out or Path("reports") / f"bench-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    return run_plan(
        plan, out, cluster_opener(args, out), enforced,
        html=not args.no_html, resume=args.resume, repeat_policy=repeat_policy(args, plan),
    )  # fmt: skip
