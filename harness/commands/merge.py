"""`ksbench merge DIR... --out OUT`: combine the results of `bench --shard K/N` into one verdict.

Refuses shards of different bench arguments, commits, machine kinds or scenario content, and
missing or repeated shards, unless --force. Writes OUT/results.json, verdict.txt and report.html,
and exits like `ksbench bench`: 0 pass, 1 a gate missed, 3 findings mismatch, 4 figures missing.
Each shard's artefacts are linked (or copied) into OUT, so OUT holds every file its results name;
an artefact path that leads out of its shard's folder is refused (exit 2), never followed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from harness import results
from harness.commands.options import add_enforce_option, enforced_gates
from harness.exit_codes import UsageError
from harness.report import outputs
from harness.run import shards
from harness.run.instruments import registry


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "merge", help="combine shard results (bench --shard K/N) into one verdict", description=__doc__
    )
    parser.add_argument(
        "shards", type=Path, nargs="+", help="the --out folders (or results.json) of the shards"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the merged results and report")
    parser.add_argument(
        "--force", action="store_true", help="merge shards of different commits, arguments or machines"
    )
    parser.add_argument("--no-html", action="store_true", help="skip report.html")
    add_enforce_option(parser)
    parser.set_defaults(handler=run)


def _bring_artefacts(shard: shards.Shard, out: Path) -> None:
    for path in sorted({p for run in shard.suite.runs() for p in run.artefacts.values()}):
        try:
            source = results.artefact_file(shard.directory, path)
        except results.ArtefactOutside as exc:
            raise UsageError(f"{shard.directory / results.RESULTS_FILE}: {exc}") from exc
        target = results.artefact_file(out, path)
        if not source.is_file() or target == source:
            continue  # a missing artefact is reported by the reports, as for any bench
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def run(args: argparse.Namespace) -> int:
    enforced = enforced_gates(args)
    given = [
        shards.Shard((p if p.is_dir() else p.parent).resolve(), results.load_given(p)) for p in args.shards
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        suite = shards.merge(given, force=args.force)
    except shards.ShardsDisagree as exc:
        raise UsageError(str(exc)) from exc
    for shard in given:
        _bring_artefacts(shard, args.out.resolve())
    results.dump(suite, args.out / results.RESULTS_FILE)
    written = outputs.write_outputs(suite, args.out, registry.linked_artefacts(), html=not args.no_html)
    print(written.verdict_text, end="")
    for line in written.places():
        print(line, file=sys.stderr)
    return written.verdict.exit_code_for(enforced)
