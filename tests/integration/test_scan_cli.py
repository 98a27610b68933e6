"""The scanner as a user runs it: one real process per scan, over rendered manifests and the
embedded API server (the official client over HTTP), with faults injected."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.clusters import ClusterHandle
from harness.clusters.embedded import embedded_cluster, set_faults
from harness.scenarios.format import load_scenario
from harness.scenarios.manifests import render
from harness.scenarios.objects import generate
from scanner.parity import differences, digest

pytestmark = pytest.mark.integration
SCAN = [sys.executable, "-m", "scanner"]


def scan(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCAN, *args, "--quiet"], capture_output=True, text=True, timeout=timeout, check=False
    )


def scan_json(out: Path, *args: str) -> dict[str, Any]:
    done = scan(*args, "--format", "json", "--pin-time", "--engine", "regorus", "--output", str(out))
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("small")
    render(load_scenario("small"), directory)
    return directory


@pytest.fixture(scope="module")
def small_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    with embedded_cluster(load_scenario("small"), tmp_path_factory.mktemp("small-cluster")) as handle:
        yield handle


def test_same_input_same_bytes(small_dir: Path, tmp_path: Path) -> None:
    first = scan(str(small_dir), "--format", "json", "--pin-time", "--output", str(tmp_path / "a.json"))
    second = scan(str(small_dir), "--format", "json", "--pin-time", "--output", str(tmp_path / "b.json"))
    assert first.returncode == second.returncode == 0, first.stderr
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--phases", "9"], 2, "no phase 9"),
        (["--controls", "C-9999"], 2, "unknown control"),
        (["--framework", "nope"], 2, "unknown framework"),
        (["--workers", "0"], 2, "--workers"),
        (["--control-order", "backwards"], 2, "control-order"),
    ],
)
def test_usage_errors_exit_2(small_dir: Path, args: list[str], code: int, message: str) -> None:
    done = scan(str(small_dir), *args)
    assert done.returncode == code and message in done.stderr, done.stderr


def test_unreadable_sources_exit_4(tmp_path: Path, small_cluster: ClusterHandle) -> None:
    missing = scan(str(tmp_path / "missing"))
    assert missing.returncode == 4 and "no such file" in missing.stderr
    no_context = scan("--kubeconfig", str(small_cluster.kubeconfig), "--context", "nowhere")
    assert no_context.returncode == 4 and "nowhere" in no_context.stderr
    config = tmp_path / "dead.kubeconfig"
    config.write_text(
        small_cluster.kubeconfig.read_text().replace(small_cluster.server_url, "http://127.0.0.1:9")
    )  # type: ignore[union-attr,arg-type]
    unreachable = scan("--kubeconfig", str(config), "--timeout", "2")
    assert unreachable.returncode == 4 and "discovery failed" in unreachable.stderr


def test_fail_threshold_exit_1_and_pretty_summary(small_dir: Path) -> None:
    done = scan(str(small_dir), "--fail-threshold", "0", "--framework", "NSA")
    assert done.returncode == 1
    assert "failed" in done.stdout and "C-0057" in done.stdout
    assert scan(str(small_dir), "--fail-threshold", "100").returncode == 0


def test_no_secret_value_reaches_the_report(small_dir: Path, tmp_path: Path) -> None:
    report_text = json.dumps(scan_json(tmp_path / "r.json", str(small_dir)))
    secrets: set[str] = set()
    for obj in generate(load_scenario("small")):
        if obj["kind"] in ("Secret", "ConfigMap"):
            for value in (obj.get("data") or {}).values():
                secrets.add(value)
                if obj["kind"] == "Secret":
                    secrets.add(base64.b64decode(value).decode(errors="replace"))
        for container in _containers(obj):
            secrets.update(e["value"] for e in container.get("env") or [] if e.get("value"))
    leaked = sorted(s for s in secrets if len(s) >= 6 and json.dumps(s)[1:-1] in report_text)
    assert secrets and leaked == []


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec") or {}
    for key in ("template", "jobTemplate"):
        if key in spec:
            spec = spec[key].get("spec") or {}
            spec = spec.get("template", {}).get("spec", spec) if key == "jobTemplate" else spec
    return [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]


@pytest.mark.parametrize("scenario", ["small", "medium"])
def test_files_and_embedded_server_give_identical_reports(scenario: str, tmp_path: Path) -> None:
    # Compact: a folder counts every object, a cluster only the kinds the controls list (no custom resources).
    render(load_scenario(scenario, compact=True), tmp_path / "manifests")
    from_files = scan_json(tmp_path / "files.json", str(tmp_path / "manifests"))
    with embedded_cluster(load_scenario(scenario, compact=True), tmp_path / "cluster") as handle:
        from_cluster = scan_json(tmp_path / "cluster.json", "--kubeconfig", str(handle.kubeconfig))
    assert [str(d) for d in differences(from_files, from_cluster)] == []
    assert digest(from_files) == digest(from_cluster)
    assert from_files["metadata"]["resourceCount"] > 0


def test_forbidden_list_skips_the_controls_that_need_it(tmp_path: Path) -> None:
    """adversarial forbids LIST on Ingresses: Ingress controls are skipped with the 403, never passed."""
    with embedded_cluster(load_scenario("adversarial"), tmp_path / "cluster") as handle:
        report = scan_json(tmp_path / "r.json", "--kubeconfig", str(handle.kubeconfig))
    control = report["summaryDetails"]["controls"]["C-9102"]  # Ingress without TLS
    assert control["status"] == "skipped"
    assert "403" in control["statusInfo"]["info"] and "Ingress" in control["statusInfo"]["info"]
    assert any("Ingress" in p["reason"] for p in report["metadata"]["problems"])


def _pod_controls(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    pod_rules = {"rule-privileged-container", "host-network-access", "naked-pods"}
    by_rule = {r["name"]: r for res in report["results"] for c in res["controls"] for r in c["rules"]}
    assert pod_rules <= set(by_rule), "the scenario must exercise pod rules"
    return {
        cid: c
        for cid, c in report["summaryDetails"]["controls"].items()
        if cid in ("C-0057", "C-0041", "C-0073")
    }


@pytest.mark.parametrize(
    ("fault", "expect"),
    [
        ({"resource": "pods", "action": "status", "status": 403, "verbs": ["list"]}, "HTTP 403"),
        ({"resource": "pods", "action": "status", "status": 404, "verbs": ["list"]}, "HTTP 404"),
        ({"resource": "pods", "action": "status", "status": 500, "verbs": ["list"]}, "HTTP 500"),
        ({"resource": "pods", "action": "delay", "delay_seconds": 4, "verbs": ["list"]}, "timed out"),
        ({"resource": "pods", "action": "drop", "verbs": ["list"]}, "LIST Pod failed"),
        (
            {"resource": "pods", "action": "status", "status": 500, "verbs": ["list"], "on": "continue"},
            "HTTP 500",
        ),
    ],
    ids=["403", "404", "500", "slow", "dropped", "500-on-second-page"],
)
def test_unreadable_pods_skip_pod_controls_never_pass(
    small_cluster: ClusterHandle, tmp_path: Path, fault: dict[str, Any], expect: str
) -> None:
    assert small_cluster.server_url is not None
    set_faults(small_cluster.server_url, [fault])
    try:
        report = scan_json(
            tmp_path / "r.json",
            "--kubeconfig",
            str(small_cluster.kubeconfig),
            "--timeout",
            "1",
            "--page-size",
            "5",
        )
    finally:
        set_faults(small_cluster.server_url, None)
    for cid in ("C-0057", "C-0041", "C-0073"):
        control = report["summaryDetails"]["controls"][cid]
        assert control["status"] == "skipped", (cid, control["statusInfo"])
        assert (
            "Pod" in control["statusInfo"]["info"] and expect.lower() in control["statusInfo"]["info"].lower()
        ), control["statusInfo"]


def test_expired_continue_token_relists_and_loses_nothing(
    small_cluster: ClusterHandle, tmp_path: Path
) -> None:
    assert small_cluster.server_url is not None
    clean = scan_json(
        tmp_path / "clean.json", "--kubeconfig", str(small_cluster.kubeconfig), "--page-size", "5"
    )
    set_faults(
        small_cluster.server_url, [{"resource": "pods", "action": "expire", "verbs": ["list"], "times": 1}]
    )
    try:
        relisted = scan_json(
            tmp_path / "relisted.json", "--kubeconfig", str(small_cluster.kubeconfig), "--page-size", "5"
        )
    finally:
        set_faults(small_cluster.server_url, None)
    assert [str(d) for d in differences(clean, relisted)] == []


@pytest.mark.parametrize("phases", ["baseline", "all"])
def test_stage_events_cover_every_stage_in_order(small_dir: Path, tmp_path: Path, phases: str) -> None:
    events_path = tmp_path / "events.jsonl"
    done = scan(
        str(small_dir), "--format", "json", "--engine", "regorus", "--phases", phases,
        "--output", str(tmp_path / "r.json"), "--events", str(events_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *records = [json.loads(line) for line in events_path.read_text().splitlines()]
    assert header["format_version"] == "ksbench-stage-events/1"
    assert header["zero"] == "process start"
    times = [r["t"] for r in records]
    assert times == sorted(times) and times[0] > 0
    cpu = [r["cpu"] for r in records]
    assert cpu == sorted(cpu) and cpu[0] > 0  # the process's CPU so far: it never goes back
    firsts = list(dict.fromkeys(r["stage"] for r in records))
    assert firsts == ["collect", "match", "evaluate", "aggregate", "report"]
    begins = [r for r in records if r["edge"] == "begin"]
    assert len(begins) * 2 == len(records)
    evaluated = {(r["control"], r["rule"]) for r in begins if r["stage"] == "evaluate"}
    report = json.loads((tmp_path / "r.json").read_text())
    assert {c for c, _ in evaluated} <= {
        r["controlID"] for r in report["summaryDetails"]["controls"].values()
    }
    assert report["metadata"]["counters"]["evaluations"] == sum(1 for r in begins if r["stage"] == "evaluate")


def test_stage_events_from_the_environment_and_unwritable_path(small_dir: Path, tmp_path: Path) -> None:
    events_path = tmp_path / "env.jsonl"
    done = subprocess.run(
        [*SCAN, str(small_dir), "--quiet", "--engine", "regorus", "--output", str(tmp_path / "r.txt")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "KSBENCH_EVENTS": str(events_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert events_path.read_text().count('"stage":"report"') == 2
    bad = scan(str(small_dir), "--events", str(tmp_path / "missing" / "e.jsonl"))
    assert bad.returncode == 2
    assert "cannot write stage events" in bad.stderr
