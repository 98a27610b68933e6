"""A stand-in for the `kubescape` binary in harness tests: kubescape's command line, a v3 JSON report.

    fake_kubescape.py scan [framework NAME] [PATH] --format json --output F [--kubeconfig K]
        [--fake-cpu-seconds S] [--fake-sleep-seconds S] [--fake-memory-mib M] [--fake-crash CODE]
        [--fake-flip-finding]

Reads the Pods of the cluster the kubeconfig's current context names (paged LIST over HTTP, as
kubescape's client does) or of the YAML/JSON manifests under PATH, judges two controls on them
(C-0013 non-root, C-0034 service-account token automount) and writes a report in the shape of
kubescape v3's `--format json`, with a fresh reportGUID and generationTime each run. Flags
kubescape has and this fake does not use (e.g. `--use-artifacts-from`, `--enable-streaming`) are
accepted and ignored. The --fake-* switches (or KSBENCH_FAKE_KUBESCAPE="cpu=0.2,sleep=0.1,
memory=30,crash=3,flip=1,flaky=PATH") burn CPU, sleep, touch memory, exit with a code before
writing, or flip one finding (the first failed C-0013 becomes passed); `flaky=PATH` counts runs in
the file PATH and flips that finding on odd-numbered runs only: a deterministic nondeterminism.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ENV = "KSBENCH_FAKE_KUBESCAPE"


def _env_switches() -> dict[str, str]:
    pairs = (part.partition("=") for part in os.environ.get(ENV, "").split(",") if part)
    return {key.strip(): value.strip() for key, _, value in pairs}


def _arguments(argv: list[str]) -> argparse.Namespace:
    env = _env_switches()
    parser = argparse.ArgumentParser(prog="kubescape")
    parser.add_argument("command", choices=["scan"])
    parser.add_argument("words", nargs="*")  # `framework nsa`, `control C-0013`, or a path
    parser.add_argument("--format", default="pretty-printer")
    parser.add_argument("--output", required=True)
    parser.add_argument("--kubeconfig")
    parser.add_argument("--fake-cpu-seconds", type=float, default=float(env.get("cpu", 0.0)))
    parser.add_argument("--fake-sleep-seconds", type=float, default=float(env.get("sleep", 0.0)))
    parser.add_argument("--fake-memory-mib", type=float, default=float(env.get("memory", 0.0)))
    parser.add_argument("--fake-crash", type=int, default=int(env.get("crash", 0)))
    parser.add_argument("--fake-flip-finding", action="store_true", default=env.get("flip") == "1")
    parser.add_argument("--fake-flaky-counter", default=env.get("flaky", ""))
    args, _ignored = parser.parse_known_args(argv)
    return args


def _current_cluster(kubeconfig: Path) -> tuple[str, dict[str, str]]:
    config = yaml.safe_load(kubeconfig.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next((u["user"] for u in config.get("users") or [] if u["name"] == context.get("user")), {})
    headers = {"Authorization": f"Bearer {user['token']}"} if user.get("token") else {}
    return cluster["server"].rstrip("/"), headers


def _pods_from_cluster(kubeconfig: Path) -> list[dict[str, Any]]:
    server, headers = _current_cluster(kubeconfig)
    pods: list[dict[str, Any]] = []
    token = ""
    while True:
        query = urllib.parse.urlencode({"limit": 500, **({"continue": token} if token else {})})
        request = urllib.request.Request(f"{server}/api/v1/pods?{query}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            page = json.load(response)
        pods += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return pods


def _pods_from_files(folder: Path) -> list[dict[str, Any]]:
    pods: list[dict[str, Any]] = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
        for document in yaml.safe_load_all(path.read_text()):
            items = document.get("items", [document]) if isinstance(document, dict) else []
            pods += [i for i in items if isinstance(i, dict) and i.get("kind") == "Pod"]
    return pods


def _resource_id(pod: dict[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"/v1/{meta.get('namespace', '')}/Pod/{meta.get('name', '')}"


def _judge(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod.get("spec") or {}
    root_paths = [
        {"fixPath": {"path": f"spec.containers[{i}].securityContext.runAsNonRoot", "value": "true"}}
        for i, c in enumerate(spec.get("containers") or [])
        if not (
            (c.get("securityContext") or {}).get("runAsNonRoot")
            or (spec.get("securityContext") or {}).get("runAsNonRoot")
        )
    ]
    automount = spec.get("automountServiceAccountToken") is not False
    token_paths = (
        [{"fixPath": {"path": "spec.automountServiceAccountToken", "value": "false"}}] if automount else []
    )
    out = []
    for control_id, name, rule, paths in (
        ("C-0013", "Non-root containers", "non-root-containers", root_paths),
        ("C-0034", "Automatic mapping of service account", "automount-service-account", token_paths),
    ):
        status = "failed" if paths else "passed"
        out.append(
            {
                "controlID": control_id,
                "name": name,
                "severity": "Medium",
                "status": {"status": status, "subStatus": ""},
                "rules": [{"name": rule, "status": status, "paths": paths}],
            }
        )
    return out


def _flip_one(results: list[dict[str, Any]]) -> None:
    for result in results:
        for control in result["controls"]:
            if control["controlID"] == "C-0013" and control["status"]["status"] == "failed":
                control["status"]["status"] = "passed"
                control["rules"][0]["status"] = "passed"
                control["rules"][0]["paths"] = []
                return


def _odd_run(counter: str) -> bool:
    """Counts this run in the counter file; True on the 1st, 3rd, 5th… run."""
    if not counter:
        return False
    path = Path(counter)
    count = int(path.read_text() or "0") + 1 if path.exists() else 1
    path.write_text(str(count))
    return count % 2 == 1


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    controls: dict[str, Any] = {}
    for result in results:
        for control in result["controls"]:
            entry = controls.setdefault(
                control["controlID"],
                {
                    "controlID": control["controlID"],
                    "name": control["name"],
                    "ResourceCounters": {"passedResources": 0, "failedResources": 0},
                },
            )
            entry["ResourceCounters"][f"{control['status']['status']}Resources"] += 1
    for entry in controls.values():
        counters = entry["ResourceCounters"]
        total = counters["passedResources"] + counters["failedResources"]
        entry["status"] = "failed" if counters["failedResources"] else "passed"
        entry["complianceScore"] = 100.0 * counters["passedResources"] / total if total else 100.0
    return {"controls": controls, "frameworks": [{"name": "NSA", "controls": controls}]}


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    paths = [w for w in args.words if w not in ("framework", "control") and Path(w).exists()]
    pods = (
        _pods_from_files(Path(paths[0]))
        if paths
        else _pods_from_cluster(Path(args.kubeconfig or os.environ["KUBECONFIG"]))
    )
    ballast = bytearray(int(args.fake_memory_mib * 1024 * 1024))
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1
    started = time.process_time()
    while time.process_time() - started < args.fake_cpu_seconds:
        sum(i * i for i in range(1000))
    time.sleep(args.fake_sleep_seconds)
    if args.fake_crash:
        print(f"fake kubescape: crashing with exit code {args.fake_crash}", file=sys.stderr)
        return int(args.fake_crash)
    results = [{"resourceID": _resource_id(p), "controls": _judge(p)} for p in pods]
    if args.fake_flip_finding or _odd_run(args.fake_flaky_counter):
        _flip_one(results)
    report = {
        "generationTime": datetime.now(UTC).isoformat(),
        "reportGUID": str(uuid.uuid4()),
        "clusterName": "fake",
        "summaryDetails": _summary(results),
        "results": results,
        "resources": [{"resourceID": _resource_id(p), "object": p} for p in pods],
        "metadata": {
            "scanMetadata": {
                "kubescapeVersion": "v3.0.0-fake",
                "targetType": "Framework",
                "formats": [args.format],
            }
        },
    }
    Path(args.output).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
