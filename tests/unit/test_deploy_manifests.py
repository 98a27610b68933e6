"""deploy/: the Indexed Job is valid Kubernetes (schema check, strict) and runs shard K of N per pod."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is not installed"
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MANIFEST = DEPLOY / "kubernetes" / "bench-shards.yaml"
K8S_VERSION = "1.32"  # kubectl on our machines; Indexed Jobs are GA since 1.24


def _documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]


def test_every_document_passes_the_strict_schema() -> None:
    for document in _documents():
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_a_broken_manifest_fails_the_same_check() -> None:
    job = copy.deepcopy(next(d for d in _documents() if d["metadata"]["name"] == "ksbench-bench"))
    job["spec"]["completionMode"] = 4  # a string is required
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    job = copy.deepcopy(next(d for d in _documents() if d["metadata"]["name"] == "ksbench-bench"))
    job["spec"]["template"]["spec"]["containers"][0]["comand"] = ["typo"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_the_job_runs_shard_k_of_n_per_pod_and_the_merge_reads_them_all() -> None:
    bench = next(d for d in _documents() if d["metadata"]["name"] == "ksbench-bench")
    spec = bench["spec"]
    container = spec["template"]["spec"]["containers"][0]
    shards = next(e["value"] for e in container["env"] if e["name"] == "SHARDS")
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == int(shards)
    script = " ".join(container["args"])
    assert "K=$((JOB_COMPLETION_INDEX + 1))" in script and '--shard "$K/$SHARDS"' in script
    assert '--out "/results/$RUN/shard-$K"' in script
    merge = next(d for d in _documents() if d["metadata"]["name"] == "ksbench-merge")
    assert "ksbench merge /results/$RUN/shard-*" in " ".join(
        merge["spec"]["template"]["spec"]["containers"][0]["args"]
    )


def test_the_ci_example_runs_each_shard_and_merges_them() -> None:
    workflow = yaml.safe_load((DEPLOY / "ci" / "github-actions.yml").read_text())
    shard_job = workflow["jobs"]["shard"]
    count = len(shard_job["strategy"]["matrix"]["shard"])
    bench = next(step for step in shard_job["steps"] if "ksbench bench" in step.get("run", ""))
    # The matrix value reaches the script through env, never as an expression inside it.
    assert bench["env"] == {"SHARD": "${{ matrix.shard }}"}
    assert f'--shard "$SHARD/{count}"' in bench["run"]
    merge = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["merge"]["steps"])
    assert "ksbench merge " + " ".join(f"shard-{k}" for k in range(1, count + 1)) in merge
