"""Decoded size and time bounded while parsing, on every surface that parses YAML or JSON; exec
credential plugins within the deadline; zip dumps; folders handed to other tools.

Every case runs the real CLI (`ksbench.cli.main`) in one fresh child process
(tests/hostile/refusal_driver.py), which resets its peak RSS before each case and reads its own
VmHWM after it; each test asserts its case's bounded outcome: exit code, message, peak RSS under
512 MiB, and wall time within the deadline plus one --timeout. The child's time-out only guards
the test run: before these bounds, each case ran far past it or past 512 MiB
(docs/hostile-input.md says how each was checked).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_server import hostile_server

from harness.exit_codes import EXIT_OK, EXIT_USAGE
from harness.run import process

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
PEAK_BOUND_BYTES = 512 * MIB
DEADLINE, TIMEOUT = 20.0, 5.0
WALL_BOUND = DEADLINE + TIMEOUT
EXIT_SOURCE = 4  # the scanner's "source unavailable" (a kubeconfig it cannot use)
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: d}\nspec: {containers: []}\n"


def empty_mappings(path: Path, rows: int = 750_000) -> Path:
    """3.75 MB of `- {}` lines: a gigabyte and more than 100 s of PyYAML nodes before the budget."""
    path.write_text("- {}\n" * rows)
    return path


def flow_rows(path: Path, rows: int = 7_500, per_row: int = 100) -> Path:
    """~3 MB of `- [{}, {}, …]`: 750,000 values, no sequence longer than 7,500 items."""
    path.write_text(("- [" + ", ".join(["{}"] * per_row) + "]\n") * rows)
    return path


def empty_lists_json(path: Path, count: int, prefix: str = "", suffix: str = "") -> Path:
    """`[[],[],…]`: three bytes of JSON each, ~70 bytes of Python each once decoded."""
    with path.open("w") as out:
        out.write(prefix + "[" + "[]," * count + "[]]" + suffix)
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


EXEC_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:9"}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, command: {command}}}}}}}]
"""
PLUGIN_TOKEN = "plugin-token-never-printed-42"
PLUGINS = {
    "never-returns": f"echo {PLUGIN_TOKEN} >&2\nexec sleep 600\n",
    "floods": "exec cat /dev/zero\n",
    "fails": f"echo {PLUGIN_TOKEN} >&2\nexit 3\n",
}


def scan(*args: str) -> list[str]:
    return ["scan", *args, "--engine", "regorus", "--controls", "C-0057", "--deadline", f"{DEADLINE:g}",
            "--timeout", f"{TIMEOUT:g}"]  # fmt: skip


def _cases(w: Path, server_kubeconfig: Path) -> dict[str, list[str]]:
    """Each case's inputs written under `w`, and its ksbench arguments."""
    pod = w / "pod.yaml"
    pod.write_text(POD)
    cases = {
        "yaml-empty-mappings": scan(str(pod), str(empty_mappings(w / "maps.yaml"))),
        "yaml-values": scan(str(pod), str(flow_rows(w / "rows.yaml")), "--max-file-bytes", str(4 * MIB)),
        "yaml-deadline": [
            *scan(str(pod), str(flow_rows(w / "slow.yaml", rows=30_000)))[:-4],
            "--deadline",
            "2",
            "--timeout",
            f"{TIMEOUT:g}",
        ],
        "json-expands": scan(str(pod), str(empty_lists_json(w / "lists.json", 8_000_000))),
        "list-response": scan("--kubeconfig", str(server_kubeconfig)),
        "exceptions": scan(str(pod), "--exceptions", str(empty_lists_json(w / "exceptions.json", 4_000_000))),
        "import-yaml": [
            "scenario",
            "import",
            str(empty_mappings(w / "dump.yaml")),
            "--name",
            "x",
            "--scenarios-dir",
            str(w / "s"),
        ],
    }
    for name, script in PLUGINS.items():
        plugin = w / name / "plugin.sh"
        plugin.parent.mkdir()
        plugin.write_text("#!/bin/sh\n" + script)
        plugin.chmod(0o755)
        (w / name / "config").write_text(EXEC_KUBECONFIG.format(command=plugin))
        cases[f"exec-{name}"] = scan("--kubeconfig", str(w / name / "config"))
    resource_map = {
        "/v1/d/Pod/p": {"metadata": {"name": "p", "namespace": "d"}, "spec": {"containers": []}},
        "/v1//Namespace/d": {"metadata": {"name": "d"}},
    }
    fixture = _zip(
        w / "allResourcesMock.json.zip", {"allResourcesMock.json": json.dumps(resource_map).encode()}
    )
    cases["import-zip"] = ["scenario", "import", str(fixture), "--name", "z", "--scenarios-dir", str(w / "s")]
    bomb = _zip(w / "bomb.zip", {"dump.json": b"[" + b" " * (40 * MIB) + b"]"})
    cases["import-zip-bomb"] = [
        "scenario",
        "import",
        str(bomb),
        "--name",
        "b",
        "--scenarios-dir",
        str(w / "s"),
    ]
    objects = w / "x.objects.json.gz"
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as packed:
        packed.write(b'{"items": [], "padding": [' + b"[]," * 20_000_000 + b"[]]}")  # 60 MB: 1.3 GB decoded
    objects.write_bytes(raw.getvalue())
    (w / "x.toml").write_text(f'name = "x"\nimported = "{objects.name}"\ntotal_resources = 1\n')
    cases["stats-objects"] = ["scenario", "stats", str(w / "x.toml")]
    stored = empty_lists_json(w / "results.json", 18_000_000, '{"padding": ', "}")  # 54 MB
    cases["gate-results"] = ["gate", str(stored)]
    os.mkfifo(w / "pipe")
    (w / "folder").mkdir()
    for option in ("--repo", "--artifacts"):
        for wrong in ("pipe", "file"):
            given = {"--repo": str(w / "folder"), "--artifacts": str(w / "folder"), option: str(w / wrong)}
            cases[f"folder{option}-{wrong}"] = [
                "bench", "--scenarios", "small", "--kubescape", "v1", "--repo", given["--repo"],
                "--artifacts", given["--artifacts"], "--out", str(w / "out"),
            ]  # fmt: skip
    (w / "file").write_text("not a folder\n")
    return cases


@dataclass(frozen=True)
class Measured:
    code: int | None
    out: str
    err: str
    wall_seconds: float
    peak_bytes: int

    def bounded(self, code: int, wall_bound: float = WALL_BOUND) -> None:
        assert self.code == code, self.err[-500:]
        assert self.peak_bytes < PEAK_BOUND_BYTES, f"peak {self.peak_bytes / MIB:.0f} MiB"
        assert self.wall_seconds < wall_bound, f"{self.wall_seconds:.1f} s"


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Measured]]]:
    w = tmp_path_factory.mktemp("hostile-decoding")
    with hostile_server({"pods": "expanding"}) as server:
        cases = _cases(w, server.kubeconfig(w / "server-config"))
        (w / "cases.json").write_text(json.dumps([{"id": key, "args": args} for key, args in cases.items()]))
        result = process.run(
            [sys.executable, str(Path(__file__).with_name("refusal_driver.py")), str(w / "cases.json"),
             str(w / "results.json")],
            timeout_seconds=len(cases) * WALL_BOUND,
            env={**os.environ, "KSBENCH_HOME": str(w / "home")},
        )  # fmt: skip
    assert result.ok, result.describe() + result.stderr_tail
    measured = json.loads((w / "results.json").read_text())
    yield w, {key: Measured(**value) for key, value in measured.items()}


def test_a_yaml_of_empty_mappings_stops_at_the_items_bound(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    run = runs["yaml-empty-mappings"]
    run.bounded(EXIT_OK)
    assert (
        f"{w / 'maps.yaml'}:1: not read: decodes to more than 200,000 items in one sequence or mapping"
        in run.out
    )


def test_a_yaml_of_flow_mappings_stops_at_the_values_bound(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    run = runs["yaml-values"]
    run.bounded(EXIT_OK)
    assert (
        f"{w / 'rows.yaml'}:1: not read: decodes to more than 524,288 values (--max-file-bytes 4,194,304 ÷ 8)"
        in run.out
    )


def test_the_deadline_is_checked_while_one_file_is_parsed(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    run = runs["yaml-deadline"]  # 3,000,000 values: within the budget, but slow to parse
    run.bounded(EXIT_OK, wall_bound=2 + TIMEOUT)
    assert f"{w / 'slow.yaml'}: not read to the end: --deadline of 2 s passed" in run.out


def test_a_json_manifest_that_expands_is_refused_before_it_is_built(
    refused: tuple[Path, dict[str, Measured]],
) -> None:
    w, runs = refused
    run = runs["json-expands"]  # 24 MB: ~560 MiB decoded
    run.bounded(EXIT_OK)
    assert f"{w / 'lists.json'}: not read: could decode to more than 8,388,608 values" in run.out


def test_an_expanding_list_response_is_refused_by_name(refused: tuple[Path, dict[str, Measured]]) -> None:
    _, runs = refused
    run = runs["list-response"]
    run.bounded(EXIT_SOURCE)  # Pods were the only kind asked for: nothing was left to scan
    assert (
        "LIST Pod failed: ValueError: /api/v1/pods: the response could decode to more than 8,388,608 values"
        in run.err
    )


def test_an_exceptions_file_that_expands_is_a_usage_error(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    run = runs["exceptions"]  # 12 MB, within 16 MiB
    run.bounded(EXIT_USAGE)
    assert f"--exceptions {w / 'exceptions.json'} could decode to more than 2,097,152 values" in run.err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("never-returns", "gave no credential within 5 s"),
        ("floods", "printed more than 1,048,576 bytes"),
        ("fails", "exited with status 3 (30 bytes on standard error, not shown"),
    ],
)
def test_an_exec_plugin_is_bounded_by_the_timeout_and_never_printed(
    refused: tuple[Path, dict[str, Measured]], name: str, message: str
) -> None:
    w, runs = refused
    run = runs[f"exec-{name}"]
    run.bounded(EXIT_SOURCE, wall_bound=DEADLINE)  # ended by --timeout (5 s), never by the deadline (20 s)
    assert f"kubeconfig {w / name / 'config'}: the exec credential plugin plugin.sh {message}" in run.err
    assert PLUGIN_TOKEN not in run.out + run.err


def test_scenario_import_of_a_yaml_of_empty_mappings_is_a_usage_error(
    refused: tuple[Path, dict[str, Measured]],
) -> None:
    w, runs = refused
    run = runs["import-yaml"]
    run.bounded(EXIT_USAGE)
    assert (
        f"{w / 'dump.yaml'}: not read: decodes to more than 200,000 items in one sequence or mapping"
        in run.err
    )


def test_scenario_import_reads_a_zip_like_kubescapes_fixture(
    refused: tuple[Path, dict[str, Measured]],
) -> None:
    _, runs = refused
    run = runs["import-zip"]
    run.bounded(EXIT_OK)
    assert "imported 2 objects as scenario z" in run.err


def test_scenario_import_refuses_a_zip_bomb_as_it_expands(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    assert (w / "bomb.zip").stat().st_size < MIB
    run = runs["import-zip-bomb"]
    run.bounded(EXIT_USAGE)
    assert f"{w / 'bomb.zip' / 'dump.json'}: expands more than 200:1" in run.err


def test_scenario_stats_refuses_imported_objects_that_expand(
    refused: tuple[Path, dict[str, Measured]],
) -> None:
    w, runs = refused
    run = runs["stats-objects"]
    run.bounded(EXIT_USAGE)
    assert f"{w / 'x.objects.json.gz'}: not read: could decode to more than 33,554,432 values" in run.err


def test_gate_refuses_stored_results_that_expand(refused: tuple[Path, dict[str, Measured]]) -> None:
    w, runs = refused
    run = runs["gate-results"]
    run.bounded(EXIT_USAGE)
    assert f"results file {w / 'results.json'} could decode to more than 33,554,432 values" in run.err


@pytest.mark.parametrize("option", ["--repo", "--artifacts"])
@pytest.mark.parametrize(("wrong", "kind"), [("pipe", "a FIFO"), ("file", "a regular file")])
def test_kubescape_folders_refuse_a_fifo_and_a_file_by_name(
    refused: tuple[Path, dict[str, Measured]], option: str, wrong: str, kind: str
) -> None:
    w, runs = refused
    run = runs[f"folder{option}-{wrong}"]
    run.bounded(EXIT_USAGE)
    assert f"argument {option}: {w / wrong}: {kind}, not a folder" in run.err
