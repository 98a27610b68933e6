"""Output that trusts its input: strings from manifests and stored results reach the terminal,
Markdown and HTML escaped (one rule per output), and a results.json cannot make a report or a
merge read a file outside its results folder."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.exit_codes import EXIT_USAGE
from ksbench.cli import main
from scanner.escape import markdown_cell, markdown_code, markdown_fence, terminal, terminal_lines

FIXTURE = Path(__file__).parents[1] / "data" / "report"
# A title change, a colour, a carriage return and a forged line, all in one name.
HOSTILE = "x\x1b]0;pwned\x07\x1b[32m\rall controls passed\nall controls passed\u202e"
SECRET = "SECRET_TOKEN_0f9e8d"


def _no_forgery(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text and "\u202e" not in text
    assert "all controls passed" not in [line.strip() for line in text.splitlines()]


def test_the_escaping_rules() -> None:
    assert terminal("a\x1b[31mb\nc\u2028") == "a\\x1b[31mb\\nc\\u2028"
    assert terminal_lines("a\tb\nc\x1bd\r") == "a\tb\nc\\x1bd\\r"
    cell = markdown_cell("a|b <script>x</script> [l](javascript:x) *e* `c`\n# h")
    assert "<" not in cell and "\n" not in cell and "|" not in cell.replace("\\|", "")
    assert "](" not in cell.replace("\\](", "")
    assert markdown_code("a``b") == "```a``b```" and markdown_code("`x") == "`` `x ``"
    assert markdown_fence(["```", "x\ry"]) == ["````", "```", "x\\ry", "````"]


def test_scan_shows_a_hostile_file_name_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n"
        "spec: {containers: [{name: c, image: nginx}]}\n"
    )
    (folder / f"{HOSTILE}.yaml").write_text("kind: [unclosed\n")
    code = main(["scan", str(folder), "--engine", "regorus", "--controls", "C-0057"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "problem: " in captured.out and "\\x1b]0;pwned\\x07" in captured.out
    _no_forgery(captured.out)
    _no_forgery(captured.err)


def _hostile_results(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    data = json.loads((out / "results.json").read_text())
    for series in data["series"]:
        if series["scenario"] == "small":
            series["scenario"] = f"small{HOSTILE}"
            for run in series["runs"]:
                run["reason"] = HOSTILE
    for info in data["scenarios"]:
        if info["name"] == "small":
            info["name"] = f"small{HOSTILE}"
    (out / "results.json").write_text(json.dumps(data))
    return out


def test_gate_and_markdown_show_hostile_stored_names_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _hostile_results(tmp_path)
    main(["gate", str(out)])
    _no_forgery(capsys.readouterr().out)
    assert main(["report", str(out), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    _no_forgery(markdown)
    for line in markdown.splitlines():  # every table row keeps its column count
        if line.startswith("| ") and "scenario" not in line and "phase" not in line:
            assert line.replace("\\|", "").count("|") == 6, line


def test_report_never_pastes_a_stored_svg_nor_reads_outside_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    svg = out / "runs/large/baseline/pyspy-baseline-r0/pyspy-flamegraph.svg"
    svg.write_text(svg.read_text().replace("</svg>", "<script>alert('owned')</script></svg>"))
    secret = tmp_path / "kubeconfig"
    secret.write_text(f"main;{SECRET} 50\n")
    data = json.loads((out / "results.json").read_text())
    for series in data["series"]:
        for run in series["runs"]:
            if (series["scenario"], series["combination"]) == ("large", "all") and "pyspy_raw" in run[
                "artefacts"
            ]:
                run["artefacts"]["pyspy_raw"] = str(secret)
            if (series["scenario"], series["combination"]) == ("medium", "all") and "pyspy_raw" in run[
                "artefacts"
            ]:
                run["artefacts"]["pyspy_raw"] = "../kubeconfig"
    (out / "results.json").write_text(json.dumps(data))
    assert main(["report", str(out), "--output", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in page and SECRET not in page
    assert "is not relative to the results folder" in page and "climbs out of the results folder" in page
    assert 'class="flame"><svg' in page  # the flame graph is still there, drawn from the stacks


def test_merge_refuses_an_artefact_path_out_of_its_shard(tmp_path: Path) -> None:
    from harness import results
    from tests.unit.test_variants_and_shards import _suite

    shard = tmp_path / "s1"
    suite = _suite("1/1", repetitions=(0,))
    hostile = next(iter(suite.runs()))
    suite = suite.with_run(replace(hostile, artefacts={"report": "../../etc/passwd"}))
    results.dump(suite, shard / "results.json")
    assert main(["merge", str(shard), "--out", str(tmp_path / "merged"), "--no-html"]) == EXIT_USAGE
    assert not (tmp_path / "merged" / "results.json").exists()
