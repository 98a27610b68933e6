"""Identity across pages as across files: one object served twice with other content (two LIST
pages, before and after a 410 re-list, two manifests, one file) is a problem naming both copies and
skips the controls that read its kind; identical copies are dropped quietly; distinct objects that
share only a uid stay distinct. Each case runs the scanner's own CLI in this process (`scanner.cli.main`)
against the misbehaving server of hostile_server.py or against files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hostile_server import hostile_server
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.cli import main
from scanner.inventory import Inventory, MemoryRawStore
from scanner.policytest import main as policies_main

POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, uid: UID}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: PRIVILEGED}
"""


def pod(privileged: bool, name: str = "web", uid: str = "u-1") -> str:
    return POD.replace("PRIVILEGED", str(privileged).lower()).replace("web", name).replace("UID", uid)


LIBRARY = Path(__file__).resolve().parents[2] / "scanner" / "policies" / "library"
CONTROLS = {"C-0057": "rule-privileged-container", "C-9106": "rule-namespace-without-pod-security"}


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped library cut to the two controls these cases read (the whole one takes seconds
    to analyse on a loaded machine): Pods for C-0057, Namespaces for C-9106."""
    root = tmp_path_factory.mktemp("policies")
    (root / "controls").mkdir()
    for control, rule in CONTROLS.items():
        shutil.copy(LIBRARY / "controls" / f"{control}.json", root / "controls")
        shutil.copytree(
            LIBRARY / "rules" / rule, root / "rules" / rule, ignore=shutil.ignore_patterns("test")
        )
    shutil.copy(LIBRARY / "default-config-inputs.json", root)
    return root


def scan(
    capsys: pytest.CaptureFixture[str], policies: Path, out: Path, *args: str
) -> tuple[int, dict[str, Any], str]:
    """One scan through the CLI with --fail-threshold 100: exit 1 only when inputs are incomplete."""
    capsys.readouterr()
    options = ["--policies", str(policies), "--engine", "regorus", "--fail-threshold", "100"]
    code = main([*args, *options, "--format", "json", "--output", str(out)])
    report: dict[str, Any] = json.loads(out.read_text())
    return code, report, capsys.readouterr().err


def status(report: dict[str, Any], control: str) -> tuple[str, str]:
    summary = report["summaryDetails"]["controls"][control]
    return summary["status"], (summary.get("statusInfo") or {}).get("info", "")


def failed_ids(report: dict[str, Any], control: str) -> list[str]:
    return sorted(report["summaryDetails"]["controls"][control]["resourceIDs"]["failed"])


@pytest.mark.parametrize(
    ("behaviour", "second", "first"),
    [
        ("conflict-pages", "LIST /api/v1/pods page 2", "LIST /api/v1/pods page 1"),
        (
            "relist-conflict",
            "LIST /api/v1/pods page 1 of the re-list after HTTP 410",
            "LIST /api/v1/pods page 1",
        ),
    ],
    ids=["two-pages", "re-list"],
)
def test_one_pod_served_twice_with_other_content_is_a_problem_and_skips_its_controls(
    behaviour: str,
    second: str,
    first: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policies: Path,
) -> None:
    """Before: the first copy (privileged) was kept, the changed one dropped, nothing said: C-0057
    decided on whichever copy came first, and the scan exited 0."""
    with hostile_server({"pods": behaviour}) as server:
        config = server.kubeconfig(tmp_path / "config")
        code, report, err = scan(
            capsys, policies, tmp_path / "r.json", "--kubeconfig", str(config), "--page-size", "1"
        )
    reason = (
        f"conflicting duplicate: /v1/default/Pod/p is also at {first} with other content; "
        "controls that read Pod are skipped"
    )
    assert code == 1, err
    assert "failing closed" in err and "C-0057" in err
    assert [(p["where"], p["reason"]) for p in report["metadata"]["problems"]] == [(second, reason)]
    assert status(report, "C-0057") == ("skipped", f"inputs incomplete: {second}: {reason}")
    assert status(report, "C-9106")[0] != "skipped"  # the Namespace was read once, and is judged


def test_the_same_pod_again_after_a_410_re_list_is_dropped_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policies: Path
) -> None:
    with hostile_server({"pods": "relist-same"}) as server:
        config = server.kubeconfig(tmp_path / "config")
        code, report, err = scan(
            capsys, policies, tmp_path / "r.json", "--kubeconfig", str(config), "--page-size", "1"
        )
        lists = [path for path in server.requests if path == "/api/v1/pods"]
    assert len(lists) == 3  # page 1, the expired page 2, page 1 of the re-list
    assert code == 0, err
    assert report["metadata"]["problems"] == []
    assert report["metadata"]["counters"]["duplicates_dropped"] == 1
    assert failed_ids(report, "C-0057") == ["/v1/default/Pod/p"]


def test_two_pods_that_share_only_a_uid_from_a_list_are_both_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policies: Path
) -> None:
    """Before: the second Pod was taken for a copy of the first (same uid) and dropped unseen."""
    with hostile_server({"pods": "shared-uid"}) as server:
        config = server.kubeconfig(tmp_path / "config")
        code, report, err = scan(capsys, policies, tmp_path / "r.json", "--kubeconfig", str(config))
    assert code == 0, err
    assert report["metadata"]["problems"] == []
    assert failed_ids(report, "C-0057") == ["/v1/default/Pod/p", "/v1/default/Pod/p-twin"]


def test_two_manifests_that_share_only_a_uid_are_both_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policies: Path
) -> None:
    """Before: a conflicting duplicate (one uid, two names), and C-0057 skipped."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.yaml").write_text(pod(True, "web"))
    (folder / "b.yaml").write_text(pod(True, "api"))
    code, report, err = scan(capsys, policies, tmp_path / "r.json", str(folder))
    assert code == 0, err
    assert report["metadata"]["problems"] == []
    assert failed_ids(report, "C-0057") == ["/v1/shop/Pod/api", "/v1/shop/Pod/web"]


def test_two_copies_in_one_file_follow_the_rule_across_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policies: Path
) -> None:
    """A conflict inside one file names both lines, as one across files names both files."""
    path = tmp_path / "m" / "pods.yaml"
    path.parent.mkdir()
    path.write_text(pod(False) + "---\n" + pod(True))
    code, report, err = scan(capsys, policies, tmp_path / "r.json", str(path.parent))
    reason = (
        f"conflicting duplicate: /v1/shop/Pod/web is also at {path}:1 with other content; "
        "controls that read Pod are skipped"
    )
    assert code == 1, err
    assert [(p["where"], p["reason"]) for p in report["metadata"]["problems"]] == [(f"{path}:10", reason)]
    assert status(report, "C-0057") == ("skipped", f"inputs incomplete: {path}:10: {reason}")


def _rule_case(root: Path, inputs: dict[str, str], failing: list[str]) -> Path:
    """A regolibrary-layout folder with C-0057's rule and one case whose expectation fails `failing`."""
    rule_dir = root / "rules" / "rule-privileged-container"
    rule_dir.mkdir(parents=True)
    for name in ("raw.rego", "rule.metadata.json"):
        shutil.copy(LIBRARY / "rules" / "rule-privileged-container" / name, rule_dir)
    case = rule_dir / "test" / "copies"
    (case / "input").mkdir(parents=True)
    for name, text in inputs.items():
        (case / "input" / name).write_text(text)
    expected = [
        {
            "failedPaths": ["spec.containers[0].securityContext.privileged"],
            "alertObject": {"k8sApiObjects": [{"kind": "Pod", "metadata": {"name": n}}]},
        }
        for n in failing
    ]
    (case / "expected.json").write_text(json.dumps(expected))
    return root


def test_policies_test_scans_each_copy_inside_one_file_as_across_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the second copy in one file was refused as a conflict ("unreadable input"), so the
    case failed, where the same copies in two files were each scanned on their own."""
    root = _rule_case(tmp_path, {"pods.yaml": pod(False) + "---\n" + pod(True)}, ["web"])
    capsys.readouterr()
    assert policies_main(["test", str(root), "--engine", "regorus"]) == 0
    out = capsys.readouterr().out
    assert "PASS rule-privileged-container/copies" in out
    assert (
        "problem: /v1/shop/Pod/web is in both pods.yaml:1 and pods.yaml:10: each copy is scanned on its own"
        in out
    )


copies = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["a", "b"]),
        "uid": st.sampled_from(["u-1", "u-2"]),
        "version": st.sampled_from(["v1", "v1beta1"]),
        "privileged": st.booleans(),
        "keys_reversed": st.booleans(),
    }
)


def _pod(copy: dict[str, Any]) -> dict[str, Any]:
    spec = {"containers": [{"name": "c", "securityContext": {"privileged": copy["privileged"]}}]}
    fields: list[tuple[str, Any]] = [
        ("apiVersion", copy["version"]),
        ("kind", "Pod"),
        ("metadata", {"name": copy["name"], "namespace": "ns", "uid": copy["uid"]}),
        ("spec", spec),
    ]
    return dict(reversed(fields) if copy["keys_reversed"] else fields)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(copies, max_size=4), max_size=5))
def test_fuzz_list_pages_one_rule_for_every_copy(pages: list[list[dict[str, Any]]]) -> None:
    """Copies of Pods spread over LIST pages: one object per name; a later copy whose content
    (besides apiVersion and key order) differs from the first is one conflict naming both pages;
    the rest are dropped. A uid never merges two names."""
    inventory = Inventory(MemoryRawStore())
    first: dict[str, tuple[dict[str, Any], str]] = {}
    conflicts: list[tuple[str, str]] = []
    dropped = 0
    for number, page in enumerate(pages, 1):
        for copy in page:
            obj, where = _pod(copy), f"LIST /api/v1/pods page {number}"
            inventory.add(obj, where)
            content = {k: v for k, v in obj.items() if k != "apiVersion"}
            if copy["name"] not in first:
                first[copy["name"]] = (content, where)
                continue
            seen = first[copy["name"]]
            if seen[0] == content:
                dropped += 1
            else:
                conflicts.append((where, seen[1]))
    assert sorted(meta.name for meta in inventory.meta.values()) == sorted(first)
    assert inventory.counters.duplicates_dropped == dropped
    assert [(c.where, c.kind) for c in inventory.conflicts] == [(w, "Pod") for w, _ in conflicts]
    assert all(
        f"is also at {f} with other content" in c.reason
        for c, (_, f) in zip(inventory.conflicts, conflicts, strict=True)
    )
