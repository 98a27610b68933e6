"""`ksbench scan --kubeconfig` against servers and kubeconfigs that misbehave: one real scanner
process per case, the real kubernetes client over HTTP, bounded in time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_server import hostile_server

pytestmark = pytest.mark.integration
PASSWORD = "S3cretPassw0rd"
TOKEN = "t0ken-never-printed"


def scan(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # The time-out only guards the test run; the scanner's own --deadline is what is tested.
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args, "--engine", "regorus"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def report_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_a_trickling_list_ends_at_the_deadline_and_its_kind_is_skipped(tmp_path: Path) -> None:
    with hostile_server({"pods": "trickle"}) as server:
        config = server.kubeconfig(tmp_path / "config")
        out = tmp_path / "report.json"
        done = scan(
            "--kubeconfig", str(config), "--controls", "C-0057", "C-9106", "--deadline", "6", "--timeout", "3",
            "--format", "json", "--output", str(out),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    controls = report_of(out)["summaryDetails"]["controls"]
    assert controls["C-0057"]["status"] == "skipped"
    assert "deadline" in controls["C-0057"]["statusInfo"]["info"]
    assert controls["C-9106"]["status"] != "skipped"  # the namespaces were read before the deadline


@pytest.mark.parametrize("behaviour", ["retry-after", "silent"])
def test_the_http_stack_never_retries_nor_sleeps_on_its_own(behaviour: str, tmp_path: Path) -> None:
    """A 503 with Retry-After: 30 was retried after sleeping 30 s, three times; a request that timed
    out was sent again three times. Now each LIST is one request of at most --timeout."""
    with hostile_server({"pods": behaviour}) as server:
        config = server.kubeconfig(tmp_path / "config")
        started = time.monotonic()
        done = scan(
            "--kubeconfig",
            str(config),
            "--controls",
            "C-0057",
            "C-9106",
            "--timeout",
            "2",
            "--deadline",
            "20",
        )
        elapsed = time.monotonic() - started
        pods_requests = sum(1 for path in server.requests if path.endswith("/pods"))
    assert done.returncode == 0, done.stderr
    assert pods_requests == 1, server.requests
    assert elapsed < 2 + 15, elapsed  # one --timeout, plus starting the scanner on a loaded machine
    assert "C-0057" in done.stdout and "skipped" in done.stdout


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("endless", "more than 50 objects (--max-objects-per-kind)"),
        ("same-token", "a continue token it had sent before"),
    ],
)
def test_an_endless_list_is_a_named_problem_not_a_wait_for_the_deadline(
    behaviour: str, reason: str, tmp_path: Path
) -> None:
    with hostile_server({"pods": behaviour}) as server:
        config = server.kubeconfig(tmp_path / "config")
        out = tmp_path / "report.json"
        started = time.monotonic()
        done = scan(
            "--kubeconfig", str(config), "--controls", "C-0057", "C-9106", "--page-size", "10",
            "--max-objects-per-kind", "50", "--deadline", "30", "--format", "json", "--output", str(out),
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 20, elapsed  # well before the deadline
    controls = report_of(out)["summaryDetails"]["controls"]
    assert controls["C-0057"]["status"] == "skipped" and reason in controls["C-0057"]["statusInfo"]["info"]
    assert controls["C-9106"]["status"] != "skipped"


def test_fail_threshold_fails_closed_when_a_list_fails(tmp_path: Path) -> None:
    with hostile_server({"pods": 403}) as server:
        config = server.kubeconfig(tmp_path / "config")
        done = scan(
            "--kubeconfig",
            str(config),
            "--controls",
            "C-0057",
            "C-9106",
            "--fail-threshold",
            "100",
            "--quiet",
        )
    assert done.returncode == 1, done.stderr
    assert "failing closed" in done.stderr and "C-0057" in done.stderr


def test_url_credentials_and_tokens_are_never_printed_nor_stored(tmp_path: Path) -> None:
    with hostile_server({"pods": 500}) as server:
        with_password = server.url.replace("http://", f"http://alice:{PASSWORD}@")
        config = server.kubeconfig(tmp_path / "config", server=with_password, token=TOKEN)
        out = tmp_path / "report.json"
        done = scan("--kubeconfig", str(config), "--controls", "C-0057", "C-9106", "--format", "json",
                    "--output", str(out))  # fmt: skip
        assert done.returncode == 0, done.stderr
        pretty = scan("--kubeconfig", str(config), "--controls", "C-0057", "C-9106")
    dead = server.kubeconfig(tmp_path / "dead", server=f"http://alice:{PASSWORD}@127.0.0.1:9", token=TOKEN)
    unreachable = scan("--kubeconfig", str(dead))
    assert unreachable.returncode == 4
    for text in (done.stderr, out.read_text(), pretty.stdout, pretty.stderr, unreachable.stderr):
        assert PASSWORD not in text and TOKEN not in text
    assert report_of(out)["metadata"]["source"].startswith("cluster at http://***@127.0.0.1:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("clusters: [\n", "malformed YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("clusters: abc\n", "clusters must be a list"),
        ("clusters: [{cluster: {server: x}}]\n", "needs a name"),
        ("users: [{name: u, user: [1]}]\n", "must be a mapping"),
        ("current-context: [x]\n", "current-context"),
        ("a: &a [*a, *a]\n", "refers to the node that contains it"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_kubeconfig_is_one_line_and_exit_4(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "config"
    config.write_bytes(content.encode("latin-1"))
    done = scan("--kubeconfig", str(config), "--quiet")
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert message in done.stderr and str(config) in done.stderr


TOKEN_FILE_TOKEN = "tokenfile-7f3a9c0d2b-never-printed"
EXEC_TOKEN = "exec-plugin-91bd2e44-never-printed"
EXEC_KEY_LINE = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-exec-key-never-printed"


def _plugin(tmp_path: Path, status: dict[str, str]) -> dict[str, object]:
    """A kubeconfig user whose credential comes from an exec plugin printing `status`."""
    script = tmp_path / f"plugin-{len(list(tmp_path.glob('plugin-*')))}.py"
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}
    script.write_text(f"import json\nprint(json.dumps({credential!r}))\n")
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                     "args": [str(script)]}}  # fmt: skip


def test_tokens_from_a_token_file_or_an_exec_plugin_are_never_printed_nor_stored(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN_FILE_TOKEN)
    users = {
        "token-file": ({"tokenFile": str(tmp_path / "token")}, TOKEN_FILE_TOKEN),
        "exec": (_plugin(tmp_path, {"token": EXEC_TOKEN}), EXEC_TOKEN),
    }
    with hostile_server({"pods": "echo-credentials"}) as server:
        for name, (user, secret) in users.items():
            config = server.kubeconfig(tmp_path / f"{name}.kubeconfig", user=user)
            out, events = tmp_path / f"{name}.json", tmp_path / f"{name}.events"
            done = scan("--kubeconfig", str(config), "--controls", "C-0057", "C-9106", "--format", "json",
                        "--output", str(out), "--events", str(events))  # fmt: skip
            assert done.returncode == 0, done.stderr
            problems = report_of(out)["metadata"]["problems"]
            assert [p["reason"] for p in problems] == [
                "LIST Pod failed: HTTP 403 Forbidden: forbidden for ***"
            ]
            for text in (done.stdout, done.stderr, out.read_text(), events.read_text()):
                assert secret not in text and "Bearer " not in text, name


def test_an_exec_plugins_client_key_is_known_to_the_scrubber(tmp_path: Path) -> None:
    from scanner.sources.kube import open_client
    from scanner.sources.limits import ReadLimits

    key = f"-----BEGIN PRIVATE KEY-----\n{EXEC_KEY_LINE}\n-----END PRIVATE KEY-----\n"
    user = _plugin(tmp_path, {"clientCertificateData": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                              "clientKeyData": key})  # fmt: skip
    (tmp_path / "config").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": user}], "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }))  # fmt: skip
    scrub, api = open_client(str(tmp_path / "config"), None, ReadLimits())
    assert Path(api.configuration.key_file).read_text() == key  # the plugin's key, as the client holds it
    assert scrub(f"a message quoting {EXEC_KEY_LINE} here") == "a message quoting *** here"


def test_sigterm_ends_a_scan_waiting_on_the_cluster_with_an_interrupted_line(tmp_path: Path) -> None:
    with hostile_server({"pods": "silent"}) as server:
        config = server.kubeconfig(tmp_path / "config")
        scanning = subprocess.Popen(
            [sys.executable, "-m", "scanner", "--kubeconfig", str(config), "--controls", "C-0057",
             "--engine", "regorus", "--timeout", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while "/api/v1/pods" not in server.requests:  # the scan now waits on a LIST that never answers
                assert time.monotonic() < deadline and scanning.poll() is None, "the scan never listed pods"
                time.sleep(0.05)
            scanning.send_signal(signal.SIGTERM)
            _, err = scanning.communicate(timeout=15)
        finally:
            if scanning.poll() is None:
                scanning.kill()
                scanning.communicate()
    assert scanning.returncode == 143, err
    assert err.endswith("ksbench scan: error: interrupted (SIGTERM)\n"), err
