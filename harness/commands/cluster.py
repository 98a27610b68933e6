"""`ksbench cluster up|status|down|faults|bench`: argument handling only; backends do the work.

`up` prints progress on stderr and, as its last stdout line, the kubeconfig path (the manifest
directory for the `files` backend).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.clusters import BACKENDS, get_backend, ownership, state_dir
from harness.clusters.target import STOPPABLE
from harness.commands.options import add_backend_options, backend_kwargs
from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE, EnvironmentProblem, UsageError
from harness.results import writing
from harness.scenarios.format import load_scenario
from scanner.numbers import number


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("cluster", help="stand up, check and take down scenario clusters")
    sub = parser.add_subparsers(dest="cluster_command", metavar="ACTION")

    up = sub.add_parser(
        "up", help="create and populate a cluster for a scenario (reused when its fingerprint matches)"
    )
    up.add_argument("scenario", help="scenario name or path to a .toml file")
    add_backend_options(up, only_up=True)
    up.set_defaults(handler=_up)

    status = sub.add_parser("status", help="clusters ksbench started and their state")
    status.add_argument("--backend", choices=BACKENDS)
    status.set_defaults(handler=_status)

    down = sub.add_parser("down", help="stop and delete a scenario's cluster (all when no scenario is named)")
    down.add_argument("scenario", nargs="?")
    down.add_argument("--backend", choices=BACKENDS, default="embedded")
    down.set_defaults(handler=_down)

    faults = sub.add_parser("faults", help="inject faults into a running embedded cluster")
    faults.add_argument("scenario")
    group = faults.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--set",
        metavar="JSON",
        help='a fault or list of faults, e.g. \'{"resource":"pods","action":"status","status":403}\'',
    )
    group.add_argument("--add", metavar="JSON", help="like --set, keeping the faults already injected")
    group.add_argument("--clear", action="store_true")
    group.add_argument("--show", action="store_true")
    faults.set_defaults(handler=_faults)

    bench = sub.add_parser("bench", help="measure the embedded server: creates/s, listed objects/s, peak RSS")
    bench.add_argument("--sizes", default="5000,50000", help="object counts, comma-separated")
    bench.add_argument("--workers", type=number(1, 256, integer=int), default=8)
    bench.add_argument("--json", type=Path, help="also write the figures as JSON here")
    bench.add_argument("--scenario", help="bench this scenario (name or .toml) instead of one per size")
    bench.add_argument(
        "--compact", action="store_true", help="the scenarios' compact objects (the old shape)"
    )
    bench.set_defaults(handler=_bench)
    parser.set_defaults(handler=lambda _args: _usage(parser))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _up(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    backend = get_backend(args.backend, **backend_kwargs(args, only_up=True))
    if args.backend == "existing":
        handle = backend.up(scenario, progress=_say)
    else:
        directory = state_dir(args.backend, scenario.name)
        with (
            ownership.hold(directory, f"cluster up pid {os.getpid()}"),
            ownership.acting_as(ownership.CLUSTER_UP),
        ):
            handle = backend.up(scenario, progress=_say)
            if not handle.started and args.backend in STOPPABLE:
                ownership.record_owner(directory)  # asked for by name: kept until `cluster down`
    if handle.server_url:
        _say(
            f"{handle.backend} cluster for {handle.scenario}: {handle.server_url} context {handle.context}"
            f"{' (reused)' if handle.reused else ''}"
        )
    print(handle.target)
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    names = [args.backend] if args.backend else [b for b in BACKENDS if b != "existing"]
    rows = [row for name in names for row in get_backend(name).status()]
    if not rows:
        print("no clusters")
    for row in rows:
        print(f"{row.backend:<9} {row.scenario:<14} {row.state:<11} {row.detail}")
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    """Every cluster of the backend (or the one named), orphans included; one in use is left running."""
    backend = get_backend(args.backend)
    if args.backend == "existing":
        print("nothing to take down")
        return EXIT_OK
    names = [args.scenario] if args.scenario else sorted({row.scenario for row in backend.status()})
    stopped, busy = [], []
    for name in names:
        try:
            with ownership.hold(state_dir(args.backend, name), f"cluster down pid {os.getpid()}"):
                stopped += backend.down(name)
        except EnvironmentProblem as exc:
            busy.append(str(exc))
    for name in stopped:
        print(f"{args.backend} cluster {name} is down")
    if not stopped and not busy:
        print("nothing to take down")
    for reason in busy:
        _say(f"ksbench: left running: {reason}")
    return EXIT_ENVIRONMENT if busy else EXIT_OK


def _faults(args: argparse.Namespace) -> int:
    from harness.clusters.embedded import ServerProcess, set_faults

    server = ServerProcess(state_dir("embedded", args.scenario))
    if not server.ready() or server.url is None:
        raise UsageError(
            f"no embedded cluster is running for {args.scenario!r}; run `ksbench cluster up {args.scenario}`"
        )
    if args.show:
        result = server.request("GET", "/_ksbench/faults")
    elif args.clear:
        result = set_faults(server.url, None)
    else:
        try:
            data = json.loads(args.set or args.add)
        except ValueError as exc:
            raise UsageError(f"faults are not valid JSON: {exc}") from exc
        result = set_faults(server.url, data if isinstance(data, list) else [data], replace=bool(args.set))
    print(json.dumps(result, indent=2))
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from harness.clusters.bench import run_bench

    try:
        sizes = [number(1, integer=int)(size) for size in args.sizes.split(",")]
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--sizes takes comma-separated object counts: {exc}") from exc
    figures = run_bench(
        sizes, workers=args.workers, progress=_say, scenario=args.scenario, compact=args.compact
    )
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with writing(args.json):
            args.json.write_text(text + "\n")
    return EXIT_OK


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE
