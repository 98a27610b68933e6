"""Secrets never reach a report: Secret and ConfigMap data, container env values, command and
args, and annotation values are redacted (keys stay, so paths still read).

The API server's bookkeeping (resourceVersion, managedFields, selfLink) is dropped too, so the
same objects read from manifests or from a cluster give the same report. Credentials in text
(URLs, kubeconfig tokens) are scrubbed by scanner.sources.scrub.

Pure: returns a redacted copy, never changes its argument.
"""

from __future__ import annotations

import copy
from typing import Any

REDACTED = "***"
_DATA_KINDS = frozenset({"Secret", "ConfigMap"})
_DATA_FIELDS = ("data", "stringData", "binaryData")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SERVER_BOOKKEEPING = ("resourceVersion", "managedFields", "selfLink")


def _pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    found = [spec]
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        found.append(template["spec"])
    job = spec.get("jobTemplate")
    if isinstance(job, dict):
        inner = ((job.get("spec") or {}).get("template") or {}).get("spec")
        if isinstance(inner, dict):
            found.append(inner)
    return found


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` with secret-bearing values replaced by `***` (keys stay, so paths still read)."""
    out = copy.deepcopy(obj)
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        for key in _SERVER_BOOKKEEPING:
            metadata.pop(key, None)
    annotations = (out.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        # Tools keep anything in annotations (last-applied repeats the whole object, data included).
        out["metadata"]["annotations"] = {key: REDACTED for key in annotations}
    if out.get("kind") in _DATA_KINDS:
        for field in _DATA_FIELDS:
            if isinstance(out.get(field), dict):
                out[field] = {key: REDACTED for key in out[field]}
    for spec in _pod_specs(out):
        for list_name in ("containers", "initContainers", "ephemeralContainers"):
            containers = spec.get(list_name)
            for container in containers if isinstance(containers, list) else []:
                if not isinstance(container, dict):
                    continue
                envs = container.get("env")
                for env in envs if isinstance(envs, list) else []:
                    if isinstance(env, dict) and "value" in env:
                        env["value"] = REDACTED
                for field in ("command", "args"):  # passwords and tokens are passed on command lines
                    if isinstance(container.get(field), list):
                        container[field] = [REDACTED for _ in container[field]]
    return out
