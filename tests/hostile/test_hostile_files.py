"""Hostile manifests: alias bombs, oversized and deep input, shapes that are not objects, symbolic
link loops, conflicting duplicates, and the threshold failing closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.engine import load_engine
from scanner.evaluate import ScanOptions
from scanner.policies import load_library
from scanner.scan import run_scan
from scanner.sources import SourceUnavailable
from scanner.sources.files import FileSource
from scanner.sources.limits import Deadline, ReadLimits

POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: PRIVILEGED}
"""


def alias_bomb() -> str:
    """The 9 × 9 alias bomb: about 400 bytes that expand to 9⁹ strings."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def read(path: Path, limits: ReadLimits | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    source = FileSource([path], limits)
    objects = [obj for page in source.pages() for obj in page.objects]
    return objects, [f"{p.where}: {p.reason}" for p in source.problems]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--engine", "regorus"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    bomb = write(
        tmp_path / "bomb.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" + alias_bomb()
    )
    good = write(tmp_path / "pod.yaml", POD.replace("PRIVILEGED", "true"))
    tracemalloc.start()
    try:
        objects, problems = read(bomb)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert objects == [] and len(problems) == 1
    assert "decodes to more than 8,388,608 values" in problems[0] and str(bomb) in problems[0]
    assert peak_bytes < 16 * 1024 * 1024
    objects, problems = read(good)
    assert len(objects) == 1 and problems == []


@pytest.mark.integration
def test_alias_bomb_scan_ends_with_a_problem(tmp_path: Path) -> None:
    bomb = write(
        tmp_path / "m" / "bomb.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" + alias_bomb()
    )
    write(tmp_path / "m" / "pod.yaml", POD.replace("PRIVILEGED", "true"))
    # The time-out guards the test run only: before the budget, this scan never finished.
    done = subprocess.run(
        [sys.executable, "-m", "scanner", str(bomb.parent), "--controls", "C-0057", "--engine", "regorus"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "decodes to more than 8,388,608 values" in done.stdout


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    _, problems = read(write(tmp_path / "loop.yaml", "a: &a [1, *a]\n"))
    assert len(problems) == 1 and "refers to the node that contains it" in problems[0]


def test_file_and_object_size_limits(tmp_path: Path) -> None:
    big = write(tmp_path / "big.yaml", POD.replace("PRIVILEGED", "true") + "# " + "x" * 5000 + "\n")
    _, problems = read(big, ReadLimits(max_file_bytes=4096))
    assert problems == [
        f"{big}: not read: larger than --max-file-bytes 4,096 (5,{big.stat().st_size % 1000:03d} bytes)"
    ]
    fat = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fat"}, "data": {"k": "v" * 2_000_000}}
    )
    objects, problems = read(write(tmp_path / "fat.json", fat))
    assert objects == [] and "ConfigMap fat not read: object is larger than 1,572,864 bytes" in problems[0]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path, suffix: str) -> None:
    for depth in (150, 50_000):
        nested = "[" * depth + "]" * depth
        text = f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "d"}}, "data": {nested}}}'
        objects, problems = read(write(tmp_path / f"deep{depth}{suffix}", text))
        assert objects == [] and len(problems) == 1 and "nest" in problems[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: List\nitems: abc\n", "items is a str, not a list"),
        ("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "items is a dict, not a list"),
        ("- - - - - - [1]\n", "Lists nested too deeply"),
        ("\xff\xfe junk", "not UTF-8"),
    ],
)
def test_shapes_that_are_not_objects_are_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(text.encode("latin-1"))
    objects, problems = read(path)
    assert objects == [] and len(problems) == 1 and message in problems[0] and str(path) in problems[0]


def test_yaml_timestamps_and_binary_stay_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = POD.replace("PRIVILEGED", "true").replace(
        "namespace: shop}", "namespace: shop, creationTimestamp: 2020-01-01T00:00:00Z}"
    )
    path = write(tmp_path / "pod.yaml", text + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                 "data: !!binary aGVsbG8=\n")  # fmt: skip
    objects, problems = read(path)
    assert problems == [] and objects[0]["metadata"]["creationTimestamp"] == "2020-01-01T00:00:00Z"
    code, out, err = run_cli(capsys, str(path), "--controls", "C-0057", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["summaryDetails"]["controls"]["C-0057"]["status"] == "failed"


def test_looping_and_broken_links_are_problems(tmp_path: Path) -> None:
    write(tmp_path / "m" / "pod.yaml", POD.replace("PRIVILEGED", "true"))
    os.symlink("self.yaml", tmp_path / "m" / "self.yaml")
    os.symlink("b.yaml", tmp_path / "m" / "a.yaml")
    os.symlink("a.yaml", tmp_path / "m" / "b.yaml")
    os.symlink("missing.yaml", tmp_path / "m" / "gone.yaml")
    objects, problems = read(tmp_path / "m")
    assert len(objects) == 1
    assert sorted(problems) == [
        f"{tmp_path}/m/a.yaml: cannot read: a symbolic link loop",
        f"{tmp_path}/m/b.yaml: cannot read: a symbolic link loop",
        f"{tmp_path}/m/gone.yaml: cannot read: cannot be followed: No such file or directory",
        f"{tmp_path}/m/self.yaml: cannot read: a symbolic link loop",
    ]
    with pytest.raises(SourceUnavailable, match="symbolic link loop"):
        FileSource([tmp_path / "m" / "self.yaml"])


def test_fatal_read_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "only.yaml", "apiVersion: v1\nkind: List\nitems: 3\n")
    code, _, err = run_cli(capsys, str(path))
    assert code == 4 and str(path) in err and "items is a int" in err


def _scan_report(paths: list[Path]) -> dict[str, Any]:
    library = load_library(None)
    state = run_scan(
        FileSource(paths), library, load_engine("regorus"), library.select([], ["C-0057"]), ScanOptions()
    )
    state.inventory.raw.close()
    return {
        "status": state.table.rows(),
        "skipped": state.skipped_rules,
        "problems": [f"{p.where}: {p.reason}" for p in state.problems],
    }


def test_conflicting_duplicates_are_a_problem_and_skip_the_control(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harmless = write(tmp_path / "m" / "a-harmless.yaml", POD.replace("PRIVILEGED", "false"))
    write(tmp_path / "m" / "b-privileged.yaml", POD.replace("PRIVILEGED", "true"))
    code, out, err = run_cli(capsys, str(harmless.parent), "--controls", "C-0057", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["summaryDetails"]["controls"]["C-0057"]["status"] == "skipped"
    [problem] = report["metadata"]["problems"]
    assert "a-harmless.yaml" in problem["reason"] and "b-privileged.yaml" in problem["where"]
    assert "conflicting duplicate" in problem["reason"]


def test_identical_duplicates_are_still_dropped_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path / "m" / "a.yaml", POD.replace("PRIVILEGED", "true"))
    write(tmp_path / "m" / "b.json", json.dumps(FileSource([first]).pages().__next__().objects[0]))
    code, out, err = run_cli(capsys, str(first.parent), "--controls", "C-0057", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["metadata"]["problems"] == [] and report["metadata"]["counters"]["duplicates_dropped"] == 1
    assert report["summaryDetails"]["controls"]["C-0057"]["status"] == "failed"


def test_deadline_stops_reading_files(tmp_path: Path) -> None:
    path = write(tmp_path / "pod.yaml", POD.replace("PRIVILEGED", "true"))
    objects, problems = read(path, ReadLimits(deadline=Deadline(0.0)))
    assert objects == [] and problems == [
        f"{path}: not read (1 file(s) left): --deadline of 0 s passed before reading finished"
    ]


def test_fail_threshold_fails_closed_on_incomplete_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "m"
    write(folder / "pod.yaml", POD.replace("PRIVILEGED", "false"))
    code, _, err = run_cli(capsys, str(folder), "--controls", "C-0057", "--fail-threshold", "0")
    assert code == 0, err
    write(folder / "broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
    code, _, err = run_cli(capsys, str(folder), "--controls", "C-0057", "--fail-threshold", "0", "--quiet")
    assert code == 1 and "failing closed" in err and "1 source problem(s)" in err


def test_an_unexpected_error_is_one_line_and_exit_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.cli

    def explode(*_args: object) -> None:
        raise KeyError("a bug\nover two lines")

    monkeypatch.delenv("KSBENCH_TRACEBACK", raising=False)
    monkeypatch.setattr(scanner.cli, "run_scan", explode)
    path = write(tmp_path / "pod.yaml", POD.replace("PRIVILEGED", "true"))
    code, _, err = run_cli(capsys, str(path), "--quiet")
    assert code == 5 and err.count("\n") == 1 and "unexpected KeyError" in err, err
