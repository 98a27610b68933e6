"""The harness under misuse: a damaged results file to resume, two benches into one --out, a
cluster changed behind `cluster up`'s back, credentials in a server URL."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.run.outlock import locked_out
from tests.integration.cli_runner import Run, run_ksbench

PASSWORD = "S3cretPassw0rd"


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    def run(*args: str, home: Path) -> Run:
        monkeypatch.setenv("KSBENCH_HOME", str(home))
        return run_ksbench(capsys, *args)

    return run


BENCH = ("bench", "--scenarios", "small", "--combinations", "baseline", "--instruments", "clean",
         "--repeat", "1", "--no-html")  # fmt: skip


def test_resume_on_a_truncated_results_file_is_a_usage_error(
    tmp_path: Path, ksbench: Callable[..., Run]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text('{"format_version": "ksbench-results/1", "series": [')
    done = ksbench(*BENCH, "--out", str(out), "--resume", home=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "results.json" in done.stderr and "Traceback" not in done.stderr


def test_a_second_bench_into_a_locked_out_refuses(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    out = tmp_path / "out"
    with locked_out(out):
        second = ksbench(*BENCH, "--out", str(out), home=tmp_path)
    assert second.returncode == 2 and "in use by another bench" in second.stderr, second.stderr
    assert not (out / "results.json").exists()
    with locked_out(out):  # released when its holder ends
        pass


def test_unexpected_errors_are_one_line_and_never_exit_1(
    tmp_path: Path, ksbench: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.commands import bench

    def explode(_args: object) -> int:
        raise RuntimeError(f"boom\nat http://alice:{PASSWORD}@127.0.0.1:1")

    monkeypatch.setattr(bench, "build_plan", explode)
    done = ksbench(*BENCH, "--out", str(tmp_path / "out"), home=tmp_path)
    assert done.returncode == 4 and done.stderr.count("\n") == 1, done.stderr
    assert "RuntimeError: boom" in done.stderr and PASSWORD not in done.stderr


@pytest.mark.integration
def test_cluster_up_reloads_a_cluster_changed_after_it_was_loaded(
    tmp_path: Path, ksbench: Callable[..., Run]
) -> None:
    up = ksbench("cluster", "up", "small", home=tmp_path)
    assert up.returncode == 0, up.stderr
    try:
        url = json.loads((tmp_path / "clusters" / "embedded" / "small" / "server.json").read_text())["url"]
        again = ksbench("cluster", "up", "small", home=tmp_path)
        assert "matches fingerprint" in again.stderr, again.stderr
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "intruder", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]}}  # fmt: skip
        request = urllib.request.Request(
            f"{url}/api/v1/namespaces/default/pods",
            data=json.dumps(pod).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        changed = ksbench("cluster", "up", "small", home=tmp_path)
        assert changed.returncode == 0, changed.stderr
        assert "matches fingerprint" not in changed.stderr and "changed since it was loaded" in changed.stderr
        stats = json.loads(
            urllib.request.urlopen(f"{changed_url(tmp_path)}/_ksbench/stats", timeout=10).read()
        )
        assert stats["objects"] == 100
    finally:
        ksbench("cluster", "down", home=tmp_path)


def changed_url(home: Path) -> str:
    url: str = json.loads((home / "clusters" / "embedded" / "small" / "server.json").read_text())["url"]
    return url


@pytest.mark.slow
@pytest.mark.integration
def test_url_credentials_never_reach_a_bench_runs_stored_output(
    tmp_path: Path, ksbench: Callable[..., Run]
) -> None:
    up = ksbench("cluster", "up", "small", home=tmp_path)
    assert up.returncode == 0, up.stderr
    try:
        kubeconfig = Path(up.stdout.strip().splitlines()[-1])
        with_password = tmp_path / "with-password.kubeconfig"
        with_password.write_text(
            kubeconfig.read_text().replace("server: http://", f"server: http://alice:{PASSWORD}@")
        )
        out = tmp_path / "out"
        done = ksbench(*BENCH, "--backend", "existing", "--kubeconfig", str(with_password), "--out", str(out),
                       "--engine", "regorus", home=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        stored = [p for p in out.rglob("*") if p.is_file()]
        assert any(p.name == "stderr.txt" and "cluster at http://***@" in p.read_text() for p in stored)
        assert not [p for p in stored if PASSWORD in p.read_text(errors="replace")]
        assert PASSWORD not in done.stderr + done.stdout
    finally:
        ksbench("cluster", "down", home=tmp_path)
