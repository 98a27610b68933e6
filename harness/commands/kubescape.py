"""`ksbench kubescape build|artifacts`: kubescape itself under test; argument handling only.

The work is in harness.kubescape (building at a commit, the offline policy folder). Benching the
builds is `ksbench bench --kubescape REF …` (harness.commands.options wires those options).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.exit_codes import EXIT_OK, UsageError
from harness.kubescape import artifacts, build


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
    add_repo_options(build_parser)
    build_parser.set_defaults(handler=_build)
    art_parser = sub.add_parser(
        "artifacts",
        help="make the offline policy folder kubescape reads with --use-artifacts-from, from a regolibrary checkout",
    )
    art_parser.add_argument(
        "regolibrary", type=Path, metavar="REGOLIB", help="a kubescape/regolibrary checkout"
    )
    art_parser.add_argument("--out", type=Path, required=True, help="a new folder to write")
    art_parser.add_argument("--ref", help="export this ref of the checkout (default: the checkout as it is)")
    art_parser.add_argument(
        "--at-date-of",
        metavar="KUBESCAPE_REF",
        help="use the newest regolibrary release (vN.N.N tag) older than this kubescape ref's commit (needs --repo)",
    )
    art_parser.add_argument("--repo", type=Path, help="the kubescape checkout --at-date-of reads")
    art_parser.set_defaults(handler=_artifacts)


def add_repo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, required=True, help="a kubescape checkout or bare clone")
    parser.add_argument(
        "--cache", type=Path, default=None, help="build cache (default $KSBENCH_CACHE or ~/.cache/ksbench)"
    )
    parser.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="MODULE=VERSION",
        help="build with a module replaced (e.g. one the Go module proxy refuses); recorded as a caveat",
    )


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    git_dir = build.check_repo(args.repo)
    replaces = [build.parse_replace(text) for text in args.replace]
    cache = args.cache or build.default_cache()
    commits = [(ref, build.resolve(git_dir, ref)) for ref in args.refs]  # every ref checked before building
    for ref, _commit in commits:
        built = build.build(git_dir, ref, cache, replaces=replaces, progress=_progress)
        how = "cached" if built.reused else f"built in {built.seconds / 60:.1f} min"
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
