"""`ksbench scenario import`: real dumps become scenarios the embedded server serves, scanned, anonymised.

The grep test is the proof of anonymisation: every original name and value of the dump is
looked for in every output (scenario file, objects file, the served objects, the scan report).
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.clusters.embedded import embedded_cluster
from harness.exit_codes import UsageError
from harness.scenarios.format import load_scenario
from harness.scenarios.importer import import_dump, read_dump
from harness.scenarios.kinds import BUILTIN_KINDS, CUSTOM_KINDS
from harness.scenarios.objects import generate
from harness.scenarios.source import scenario_objects
from harness.scenarios.stats import scenario_stats
from tests.integration.cli_runner import run_ksbench

pytestmark = pytest.mark.integration
_KEPT = {"default", "kube-system", "cluster-admin", "true", "false"}


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    elif isinstance(value, str):
        yield key, value


def originals(objects: list[dict[str, Any]]) -> set[str]:
    """The dump's identifying strings: names, namespaces, label values, images, hosts, and values."""
    found: set[str] = set()
    for obj in objects:
        meta = obj["metadata"]
        found |= {meta["name"], meta.get("namespace", "")}
        found |= {v for v in (meta.get("labels") or {}).values() if "-" in v}
        found |= {v for v in (meta.get("annotations") or {}).values() if len(v) >= 8}
        for key, value in _walk(obj.get("spec", {})):
            if key in ("image", "host") or (key == "value" and len(value) >= 8):
                found.add(value)
        for key, value in (obj.get("data") or {}).items():
            if len(value) >= 12:
                found.add(value)
                if obj["kind"] == "Secret" and not key.endswith(".crt"):
                    found.add(base64.b64decode(value).decode("latin-1")[:40])
    # A bare word (a Service called "scheduler") also spells field names such as schedulerName.
    return {
        s for s in found if len(s) >= 6 and s not in _KEPT and not s.startswith("system:") and not s.isalpha()
    }


def _served(server_url: str) -> str:
    bodies = []
    for info in (*BUILTIN_KINDS, *CUSTOM_KINDS):
        prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        try:
            with urllib.request.urlopen(f"{server_url}{prefix}/{info.plural}", timeout=30) as response:
                bodies.append(response.read().decode())
        except OSError:
            continue  # a custom kind whose CRD the dump did not hold
    return "\n".join(bodies)


def _dump(objects: list[dict[str, Any]], path: Path) -> Path:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    return path


def test_a_kubectl_dump_is_served_scanned_and_anonymised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dumped = generate(load_scenario("small"))
    done = run_ksbench(
        capsys, "scenario", "import", str(_dump(dumped, tmp_path / "dump.json")),
        "--name", "mine", "--scenarios-dir", str(tmp_path / "scenarios"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    scenario = load_scenario(tmp_path / "scenarios" / "mine.toml")
    served_objects = scenario_objects(scenario)
    assert len(served_objects) == len(dumped) == scenario.total_resources
    # Sizes are kept within a few percent (names grow to at least 12 characters).
    before, after = scenario_stats("a", dumped), scenario_stats("b", served_objects)
    assert after.total_bytes == pytest.approx(before.total_bytes, rel=0.08)
    with embedded_cluster(scenario, tmp_path / "cluster") as handle:
        served = _served(str(handle.server_url))
        report_path = tmp_path / "report.json"
        scanned = run_ksbench(
            capsys, "scan", "--kubeconfig", str(handle.kubeconfig), "--format", "json",
            "--engine", "regorus", "--output", str(report_path),
        )  # fmt: skip
        assert scanned.returncode in (0, 1), scanned.stderr
    report = report_path.read_text()
    assert json.loads(report)["metadata"]["resourceCount"] > 50
    outputs = {
        "scenario file": (tmp_path / "scenarios" / "mine.toml").read_text(),
        "objects file": gzip.decompress(
            (tmp_path / "scenarios" / "mine.objects.json.gz").read_bytes()
        ).decode(),
        "served objects": served,
        "scan report": report,
    }
    secrets = originals(dumped)
    assert len(secrets) > 200
    for where, text in outputs.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{where} holds original strings: {leaked[:5]}"


def test_joins_survive_anonymisation_in_a_kubescape_resource_map(tmp_path: Path) -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretsecret\n-----END RSA PRIVATE KEY-----"
    template_labels = {"app": "shop-frontend", "acme.example/team": "storefront"}
    resource_map = {
        "/v1//Namespace/acme-shop": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-shop"}},
        "/v1/acme-shop/ServiceAccount/shop-deployer": {"metadata": {"name": "shop-deployer", "namespace": "acme-shop"}},
        "apps/v1/acme-shop/Deployment/shop-frontend": {
            "metadata": {"labels": template_labels, "annotations": {"owner": "jane.doe@acme.example"}},
            "spec": {
                "selector": {"matchLabels": {"app": "shop-frontend"}},
                "template": {
                    "metadata": {"labels": template_labels},
                    "spec": {
                        "serviceAccountName": "shop-deployer",
                        "containers": [{
                            "name": "web", "image": "registry.acme.example/shop/frontend:2.4.1",
                            "env": [{"name": "DB_PASSWORD", "value": "hunter2-acme"},
                                    {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "shop-db", "key": "url"}}}],
                        }],
                    },
                },
            },
        },
        "/v1/acme-shop/Service/shop-frontend": {
            "metadata": {"name": "shop-frontend"}, "spec": {"selector": {"app": "shop-frontend"}, "ports": [{"port": 80}]},
        },
        "/v1/acme-shop/Secret/shop-db": {
            "type": "Opaque",
            "data": {"url": base64.b64encode(b"postgres://acme:pw@db.acme.example").decode(),
                     "tls.key": base64.b64encode(pem.encode()).decode()},
        },
        "rbac.authorization.k8s.io/v1/acme-shop/RoleBinding/shop-deployer-binding": {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "shop-deployer", "namespace": "acme-shop"},
                         {"kind": "User", "name": "jane.doe@acme.example"}],
        },
        "coordination.k8s.io/v1/acme-shop/Lease/shop-leader": {"spec": {}},
    }  # fmt: skip
    source = tmp_path / "resources.json"
    source.write_text(json.dumps(resource_map))
    result = import_dump(source, "map", tmp_path / "out")
    assert result.skipped == {"Lease (coordination.k8s.io/v1)": 1}
    text = gzip.decompress(result.objects_file.read_bytes()).decode()
    for original in (
        "acme",
        "shop-",
        "storefront",
        "jane.doe",
        "hunter2",
        "frontend",
        "cG9zdGdyZXM6Ly9hY21l",
    ):
        assert original not in text, original
    objects = {o["kind"]: o for o in scenario_objects(load_scenario(result.scenario_file))}
    deployment, service, account = objects["Deployment"], objects["Service"], objects["ServiceAccount"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"]["app"] == pod["metadata"]["labels"]["app"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"]
    subject = objects["RoleBinding"]["subjects"][0]
    assert (subject["name"], subject["namespace"]) == (
        account["metadata"]["name"],
        account["metadata"]["namespace"],
    )
    assert objects["RoleBinding"]["roleRef"]["name"] == "cluster-admin"
    ref = pod["spec"]["containers"][0]["env"][1]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == objects["Secret"]["metadata"]["name"] and ref["key"] == "url"
    assert pod["spec"]["containers"][0]["env"][0]["name"] == "DB_PASSWORD"
    assert pod["spec"]["containers"][0]["image"].endswith(":2.4.1")
    key = base64.b64decode(objects["Secret"]["data"]["tls.key"]).decode()
    assert key.startswith("-----BEGIN RSA PRIVATE KEY-----") and "secretsecret" not in key
    assert len(objects["Secret"]["data"]["url"]) == len(
        resource_map["/v1/acme-shop/Secret/shop-db"]["data"]["url"]
    )
    assert "acme.example/team" not in pod["metadata"]["labels"] and "app" in pod["metadata"]["labels"]


def test_a_manifest_folder_imports_without_anonymisation(tmp_path: Path) -> None:
    folder = tmp_path / "manifests" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: web}\ndata: {k: v}\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ServiceAccount, metadata: {name: app, namespace: web}}\n"
    )
    result = import_dump(tmp_path / "manifests", "folder", tmp_path / "out", anonymise=False)
    assert result.added_namespaces == 1
    names = sorted(o["metadata"]["name"] for o in scenario_objects(load_scenario(result.scenario_file)))
    assert names == ["app", "app-config", "web"]


def test_a_key_that_is_not_text_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: web}\ndata: {1: one, b: two}\n"
    )
    with pytest.raises(UsageError, match=r'a.yaml: mapping key 1 is not text: quote it \("1"\)'):
        read_dump(tmp_path / "a.yaml")


@pytest.mark.slow
def test_a_15000_object_dump_is_served_scanned_and_benched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Compact objects keep the four scans of 15,000 objects within the slow suite's minutes.
    base = load_scenario("large", compact=True)
    scenario = dataclasses.replace(base, name="dump15k", total_resources=15_000, namespaces=150, nodes=30)
    dump = _dump(generate(scenario), tmp_path / "dump.json")
    done = run_ksbench(capsys, "scenario", "import", str(dump), "--name", "dump15k",
                       "--scenarios-dir", str(tmp_path / "scenarios"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = tmp_path / "scenarios" / "dump15k.toml"
    assert load_scenario(path).total_resources == 15_000
    benched = run_ksbench(capsys, "bench", "--scenarios", str(path), "--combinations", "baseline;all",
                          "--repeat", "1", "--instruments", "clean", "--no-html", "--enforce", "findings",
                          "--out", str(tmp_path / "bench"))  # fmt: skip
    assert benched.returncode == 0, benched.stderr[-2000:]
    assert "identical" in benched.stdout.lower()
