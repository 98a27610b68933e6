"""`ksbench scenario list|render|fingerprint|stats|import|derive|exceptions`: argument handling only; the work is in harness.scenarios."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.exit_codes import EXIT_OK, EXIT_USAGE
from harness.results import writing
from harness.scenarios.derive import derive
from harness.scenarios.exceptions import exceptions_json
from harness.scenarios.fingerprint import fingerprint
from harness.scenarios.format import kind_counts, list_scenarios, load_scenario, scenarios_dir
from harness.scenarios.importer import import_dump
from harness.scenarios.manifests import render
from harness.scenarios.source import scenario_objects
from harness.scenarios.stats import render_stats, scenario_stats
from scanner.parity import STRIPPABLE


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("scenario", help="list, render and fingerprint scenarios")
    sub = parser.add_subparsers(dest="scenario_command", metavar="ACTION")
    sub.add_parser("list", help="the scenarios there are").set_defaults(handler=_list)
    render_parser = sub.add_parser(
        "render", help="write a scenario's objects as manifests (one List JSON per kind)"
    )
    render_parser.add_argument("scenario", help="scenario name or path to a .toml file")
    render_parser.add_argument("-o", "--output", type=Path, required=True, help="directory to write")
    render_parser.add_argument(
        "--no-duplicates", action="store_true", help="do not repeat the adversarial duplicates"
    )
    render_parser.set_defaults(handler=_render)
    fp_parser = sub.add_parser("fingerprint", help="counts and bytes per kind and the sha256 digest")
    fp_parser.add_argument("scenario")
    fp_parser.add_argument("--json", action="store_true", help="print the fingerprint as JSON")
    fp_parser.set_defaults(handler=_fingerprint)
    stats_parser = sub.add_parser(
        "stats",
        help="per kind: count, median, p90 and total JSON bytes; managedFields, last-applied, status shares",
    )
    stats_parser.add_argument("scenario")
    stats_parser.add_argument("--json", action="store_true", help="print the statistics as JSON")
    stats_parser.set_defaults(handler=_stats)
    import_parser = sub.add_parser(
        "import",
        help="turn a cluster dump (kubectl get -A -o json, a manifest folder, or a resource-ID map) into a scenario",
    )
    import_parser.add_argument("source", type=Path, help="a dump file or a folder of manifests")
    import_parser.add_argument("--name", required=True, help="the new scenario's name")
    import_parser.add_argument(
        "--no-anonymise", action="store_true", help="keep names, values and annotations as they are"
    )
    import_parser.add_argument(
        "--scenarios-dir",
        type=Path,
        default=None,
        help="where to write NAME.toml (default: the scenarios folder)",
    )
    import_parser.set_defaults(handler=_import)
    derive_parser = sub.add_parser(
        "derive",
        help="a scenario serving another's objects with fields stripped (e.g. what X1 would keep)",
    )
    derive_parser.add_argument("scenario", help="the scenario to derive from (name or .toml path)")
    derive_parser.add_argument(
        "--strip",
        required=True,
        metavar="FIELDS",
        help=f"comma-separated, any of {', '.join(STRIPPABLE)} (managed-fields,last-applied: exactly X1's)",
    )
    derive_parser.add_argument("--name", help="the new scenario's name (default: SCENARIO-stripped)")
    derive_parser.add_argument(
        "--scenarios-dir",
        type=Path,
        default=None,
        help="where to write NAME.toml (default: the scenarios folder)",
    )
    derive_parser.set_defaults(handler=_derive)
    ex_parser = sub.add_parser("exceptions", help="print (or --write) the scenario's posture exceptions file")
    ex_parser.add_argument("scenario")
    ex_parser.add_argument("--write", action="store_true", help="write it beside the scenario file")
    ex_parser.set_defaults(handler=_exceptions)
    parser.set_defaults(handler=lambda _args: _usage(parser))


def _list(_args: argparse.Namespace) -> int:
    for scenario in list_scenarios():
        counts = kind_counts(scenario)
        print(
            f"{scenario.name:<12} {scenario.total_resources:>7} resources {scenario.namespaces:>4} namespaces "
            f"{counts.get('Pod', 0):>6} pods  {scenario.description}"
        )
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    result = render(scenario, args.output, with_duplicates=not args.no_duplicates)
    print(
        f"wrote {result.total_resources} objects of {scenario.name} to {args.output} (digest {result.digest})",
        file=sys.stderr,
    )
    print(args.output)
    return EXIT_OK


def _fingerprint(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    result = fingerprint(scenario.name, scenario_objects(scenario))
    if args.json:
        print(json.dumps(result.to_json(), indent=2, sort_keys=True))
        return EXIT_OK
    print(f"scenario {result.scenario}: {result.total_resources} objects")
    for kind in result.kinds:
        print(f"  {kind.kind:<26} {kind.count:>7} objects {kind.json_bytes:>11} bytes")
    print(f"digest sha256:{result.digest}")
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    stats = scenario_stats(scenario.name, scenario_objects(scenario))
    if args.json:
        print(json.dumps(stats.to_json(), indent=2, sort_keys=True))
    else:
        print(render_stats(stats))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    out_dir = args.scenarios_dir or scenarios_dir()
    result = import_dump(args.source, args.name, out_dir, anonymise=not args.no_anonymise)
    for kind, count in result.skipped.items():
        print(
            f"skipped {count} objects of {kind}: the embedded server does not serve that kind",
            file=sys.stderr,
        )
    if result.added_namespaces:
        print(f"added {result.added_namespaces} Namespaces the dump's objects are in", file=sys.stderr)
    print(
        f"imported {result.fingerprint.total_resources} objects as scenario {args.name} "
        f"(digest {result.fingerprint.digest[:12]}); bench it with: ksbench bench --scenarios {result.scenario_file}",
        file=sys.stderr,
    )
    print(result.scenario_file)
    return EXIT_OK


def _derive(args: argparse.Namespace) -> int:
    result = derive(args.scenario, args.strip, args.name, args.scenarios_dir or scenarios_dir())
    before, after = result.parent.kinds, result.derived.kinds
    bytes_before = sum(k.json_bytes for k in before)
    bytes_after = sum(k.json_bytes for k in after)
    change = (bytes_after / bytes_before - 1.0) * 100.0 if bytes_before else 0.0
    print(
        f"derived {result.derived.scenario} from {result.parent.scenario}: {result.derived.total_resources} "
        f"objects, {bytes_before:,} → {bytes_after:,} JSON bytes ({change:+.1f}%), "
        f"digest {result.derived.digest[:12]}; bench it with: ksbench bench --scenarios {result.scenario_file}",
        file=sys.stderr,
    )
    print(result.scenario_file)
    return EXIT_OK


def _exceptions(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    text = exceptions_json(scenario)
    if args.write:
        target = scenario.exceptions_file or Path(f"{scenario.name}.exceptions.json")
        with writing(target):
            target.write_text(text)
        print(target)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE
