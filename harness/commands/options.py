"""Options several commands share (--enforce, --scanner, the cluster backend), parsed one way.

Argument handling only: what an option means lives in its layer (gate keys in harness.judge.gates,
the scanner's argv in harness.run.runner, each backend's options in its own module, read through
harness.clusters.backend_options; cluster opening in harness.clusters.target). Command modules
import this and never each other.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness import results
from harness.clusters import BACKENDS, BackendOption, backend_options
from harness.clusters.target import TargetOpener, opener
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, FindingsMismatch, UsageError
from harness.judge import gates, verdict
from harness.kubescape import build
from harness.kubescape import variants as ks_variants
from harness.report import outputs
from harness.run import runner
from harness.run.instruments import registry
from harness.run.outlock import locked_out
from harness.run.variants import Variant
from scanner.bounded import folder_problem


def add_enforce_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--enforce",
        default="all",
        metavar="GATES",
        help=f"gates that decide the exit code: all, or some of {','.join(gates.GATE_KEYS)} (the rest are reported)",
    )


def enforced_gates(args: argparse.Namespace) -> frozenset[gates.GateKey] | None:
    try:
        return gates.parse_enforced(args.enforce)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def add_scanner_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scanner",
        default=" ".join(runner.SCANNER_MODULE),
        help="how to start the scanner after `python` (default: '%(default)s'); e.g. a script path",
    )
    parser.add_argument(
        "--policies",
        type=Path,
        metavar="DIR",
        help="the scanner's policy library, e.g. a checkout of kubescape/regolibrary (default: ours)",
    )
    parser.add_argument(
        "--host-data", type=Path, metavar="DIR", help="host-sensor and cloud objects every scan reads too"
    )


def policy_scan_args(args: argparse.Namespace) -> tuple[str, ...]:
    """--policies and --host-data as scanner arguments, made absolute: runs start in their own folders."""
    extra: list[str] = []
    for flag, path in (("--policies", args.policies), ("--host-data", args.host_data)):
        if path is None:
            continue
        if not path.is_dir():
            raise UsageError(f"{flag} {path}: no such folder")
        extra += [flag, str(path.resolve())]
    return tuple(extra)


def scanner_prefix(args: argparse.Namespace) -> tuple[str, ...]:
    return runner.scanner_prefix(args.scanner)


def _declared(only_up: bool) -> dict[str, list[tuple[str, BackendOption]]]:
    """flag → (backend, option) for every backend declaring it; `cluster up`'s own ones when only_up."""
    declared: dict[str, list[tuple[str, BackendOption]]] = {}
    for name in BACKENDS:
        for option in backend_options(name):
            if only_up or not option.only_up:
                declared.setdefault(option.flag, []).append((name, option))
    return declared


def add_backend_options(parser: argparse.ArgumentParser, *, only_up: bool = False) -> None:
    """--backend and the options the backends declare (only_up: those `cluster up` alone takes too)."""
    parser.add_argument("--backend", default="embedded", choices=BACKENDS)
    if not only_up:
        parser.add_argument(
            "--keep-clusters",
            action="store_true",
            help="leave the clusters this command starts running when it ends (default: it stops them; "
            "a cluster that was up before, from `cluster up`, is always left up)",
        )
    for flag, owners in _declared(only_up).items():
        option = owners[0][1]
        parser.add_argument(
            flag,
            type=option.type,
            choices=option.choices,
            default=None,  # the backend's own default applies
            help="; ".join(f"{name}: {one.help}" for name, one in owners),
        )


def backend_kwargs(args: argparse.Namespace, *, only_up: bool = False) -> dict[str, Any]:
    """The options given for the chosen backend; one meant for another backend is a usage error."""
    chosen: dict[str, Any] = {}
    for flag, owners in _declared(only_up).items():
        value = getattr(args, owners[0][1].keyword, None)
        if value is None:
            continue
        if args.backend not in (name for name, _ in owners):
            names = " or ".join(name for name, _ in owners)
            raise UsageError(f"{flag} is an option of --backend {names}, not {args.backend}")
        chosen[owners[0][1].keyword] = value
    return chosen


def cluster_opener(args: argparse.Namespace, out: Path | None = None) -> TargetOpener:
    """Each scenario's cluster on --backend (reused when already up; what it starts stopped at the
    end unless --keep-clusters), progress on stderr."""
    return opener(
        args.backend,
        backend_kwargs(args),
        progress=lambda message: print(f"  {message}", file=sys.stderr, flush=True),
        keep=bool(getattr(args, "keep_clusters", False)),
        out=out,
    )


def folder(must_exist: bool = True) -> Callable[[str], Path]:
    """An argparse type: a folder, refused by name when it is a file, a FIFO, a device (or missing, if it must exist)."""

    def parse(text: str) -> Path:
        path = Path(text)
        why = folder_problem(path, must_exist)
        if why:
            raise argparse.ArgumentTypeError(f"{text}: {why}")
        return path

    parse.takes_path = True  # type: ignore[attr-defined]  # read by the tests that walk every option
    return parse


def add_build_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, repo_required: bool
) -> None:
    """What every kubescape build needs: the checkout, the cache, module replacements, the version stamp."""
    parser.add_argument(
        "--repo",
        type=folder(),
        required=repo_required,
        help="the kubescape checkout or bare clone the refs are in",
    )
    parser.add_argument(
        "--cache",
        type=folder(must_exist=False),
        default=None,
        help="build cache (default $KSBENCH_CACHE or ~/.cache/ksbench)",
    )
    parser.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="MODULE=VERSION",
        help="build with a module replaced (e.g. one the Go module proxy refuses); a caveat on every figure",
    )
    parser.add_argument(
        "--no-stamp",
        action="store_true",
        help="build without the release's version stamp (kubescape then runs every rule a version gates)",
    )


def add_kubescape_options(
    parser: argparse.ArgumentParser, *, refs: bool = True, repo_required: bool = False
) -> None:
    """Built kubescape refs as variants: --kubescape [NAME=]REF (bench) and what every build needs."""
    group = parser.add_argument_group("kubescape builds as variants (see `ksbench kubescape build`)")
    if refs:
        group.add_argument(
            "--kubescape",
            action="append",
            default=[],
            metavar="[NAME=]REF",
            help="a kubescape ref built (or found in the cache) and benched as a variant; the first is "
            "the baseline unless named (repeatable; needs --repo and --artifacts)",
        )
    add_build_options(group, repo_required=repo_required)
    group.add_argument(
        "--artifacts", type=folder(), help="kubescape's offline policy folder (`ksbench kubescape artifacts`)"
    )
    group.add_argument("--framework", default="nsa", help="the framework kubescape scans (default nsa)")
    group.add_argument(
        "--kubescape-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment for every kubescape variant, e.g. LARGE_CLUSTER_SIZE=1000000 pins its "
        "per-namespace switch off, GOMEMLIMIT=300MiB (recorded with the results)",
    )


def kubescape_variants(
    args: argparse.Namespace, refs: Sequence[str]
) -> tuple[tuple[Variant, ...], dict[str, Any]]:
    """The refs as variants (built when not cached), with the build records the results keep."""
    if not refs:
        return (), {}
    if args.repo is None or args.artifacts is None:
        raise UsageError(
            "kubescape refs need --repo (the checkout) and --artifacts (`ksbench kubescape artifacts`)"
        )
    git_dir = build.check_repo(args.repo)
    specs = [ks_variants.parse_spec(text, index) for index, text in enumerate(refs)]
    return ks_variants.resolve(
        specs,
        git_dir,
        args.cache or build.default_cache(),
        args.artifacts,
        framework=args.framework,
        env=ks_variants.parse_env(args.kubescape_env),
        replaces=[build.parse_replace(text) for text in args.replace],
        stamped=not args.no_stamp,
        progress=lambda message: print(f"  {message}", file=sys.stderr, flush=True),
    )


def parse_scenarios(text: str) -> tuple[str, ...]:
    """`a,b,a` → (a, b): comma-separated, blanks and repeats dropped; at least one."""
    scenarios = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not scenarios:
        raise UsageError("no scenario given")
    return scenarios


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`K/N` with 1 ≤ K ≤ N."""
    if text is None:
        return None
    number, _, count = text.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise UsageError(f"--shard {text!r}: expected K/N with 1 ≤ K ≤ N, e.g. 1/2")
    return int(number), int(count)


def run_plan(
    plan: runner.Plan,
    out: Path,
    open_target: TargetOpener,
    enforced: frozenset[gates.GateKey] | None,
    *,
    html: bool,
    resume: bool = False,
    repeat_policy: runner.RepeatPolicy | None = None,
    markdown: bool = False,
) -> int:
    """Run a bench plan into out, write its outputs (verdict.md too when asked), print the verdict; exit code."""
    with locked_out(out):
        bench = runner.Bench(
            plan, out, runner.ScannerParity(), resume=resume, repo=Path.cwd(), repeat_policy=repeat_policy
        )
        for line in verdict.power_before(bench.suite, len(plan.scenarios), plan.combinations, plan.repeat):
            print(line, file=sys.stderr)
        try:
            suite = bench.run(open_target)
        except FindingsMismatch as exc:
            print(f"ksbench: findings mismatch — fail closed, no figure is used:\n{exc}", file=sys.stderr)
            finish(bench.suite, out, enforced, html=html, markdown=markdown)
            return EXIT_FINDINGS_MISMATCH
        return finish(suite, out, enforced, html=html, markdown=markdown)


def finish(
    suite: results.Suite,
    out: Path,
    enforced: frozenset[gates.GateKey] | None,
    *,
    html: bool,
    markdown: bool = False,
) -> int:
    """Verdict table on stdout, the written files' places on stderr; the exit code."""
    written = outputs.write_outputs(suite, out, registry.linked_artefacts(), html=html, markdown=markdown)
    print(written.verdict_text, end="")
    for line in written.places():
        print(line, file=sys.stderr)
    return written.verdict.exit_code_for(enforced)
