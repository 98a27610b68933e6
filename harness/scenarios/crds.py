"""CustomResourceDefinitions with schemas of real size, and custom resources of their kinds.

Pure: no I/O. Schemas are built field by field (types, descriptions, nested objects and
arrays) until the drawn size is reached, as operators' generated schemas are: mostly
descriptions. Kinds and groups are ksbench's own (kinds.CUSTOM_KINDS).
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from harness.scenarios.kinds import CUSTOM_KIND_BY_NAME, CUSTOM_KINDS
from harness.scenarios.sizes import SizeTarget

_WORDS = (
    "the",
    "name",
    "of",
    "a",
    "resource",
    "field",
    "is",
    "used",
    "to",
    "select",
    "which",
    "when",
    "set",
    "default",
    "value",
    "must",
    "be",
    "valid",
    "reference",
    "object",
    "within",
    "namespace",
    "controller",
    "spec",
    "will",
    "this",
    "if",
    "not",
    "specified",
    "pods",
    "configuration",
    "duration",
    "seconds",
    "port",
    "labels",
    "matching",
    "policy",
    "secret",
    "key",
    "template",
)
_TYPES = ("string", "string", "string", "integer", "boolean", "object", "array")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(_WORDS, k=words)).capitalize() + "."


def _property(rng: random.Random, depth: int) -> dict[str, Any]:
    kind = rng.choice(_TYPES if depth < 3 else _TYPES[:5])
    prop: dict[str, Any] = {"description": _sentence(rng, rng.randrange(6, 60)), "type": kind}
    if kind == "integer":
        prop["format"] = "int32"
    if kind in ("object", "array"):
        children = {
            f"{rng.choice(_WORDS)}{rng.choice(_WORDS).capitalize()}{i}": _property(rng, depth + 1)
            for i in range(rng.randrange(1, 6))
        }
        body = {"type": "object", "properties": children}
        if kind == "object":
            prop.update(body)
        else:
            prop["items"] = body
    return prop


def _schema(rng: random.Random, size_bytes: int) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    size = 0
    while size < size_bytes:
        name = f"{rng.choice(_WORDS)}{rng.choice(_WORDS).capitalize()}{len(spec)}"
        spec[name] = _property(rng, 0)
        size += len(json.dumps(spec[name], separators=(",", ":"))) + len(name) + 4
    return {
        "description": _sentence(rng, 20),
        "type": "object",
        "properties": {
            "apiVersion": {"description": _sentence(rng, 40), "type": "string"},
            "kind": {"description": _sentence(rng, 40), "type": "string"},
            "metadata": {"type": "object"},
            "spec": {"description": _sentence(rng, 15), "type": "object", "properties": spec},
            "status": {
                "description": _sentence(rng, 15),
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
            },
        },
    }


def custom_resource_definitions(
    count: int, size: SizeTarget, rng: random.Random, created: str
) -> list[dict[str, Any]]:
    crds = []
    for info in CUSTOM_KINDS[:count]:
        # The schema is most of a CRD; its managedFields mirror it once more, so half the draw.
        schema = _schema(rng, max(1_000, size.draw(rng, ceiling=900_000) // 2 - 2_000))
        names = {
            "kind": info.kind,
            "listKind": f"{info.kind}List",
            "plural": info.plural,
            "singular": info.singular,
        }
        crds.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {
                    "name": f"{info.plural}.{info.group}",
                    "uid": _uid(rng),
                    "creationTimestamp": created,
                    "annotations": {"controller-gen.kubebuilder.io/version": "v0.16.1"},
                    "generation": 1,
                },
                "spec": {
                    "conversion": {"strategy": "None"},
                    "group": info.group,
                    "names": names,
                    "scope": "Namespaced",
                    "versions": [
                        {
                            "name": info.version,
                            "served": True,
                            "storage": True,
                            "subresources": {"status": {}},
                            "schema": {"openAPIV3Schema": schema},
                        }
                    ],
                },
                "status": {
                    "acceptedNames": names,
                    "conditions": [
                        {
                            "type": condition,
                            "status": "True",
                            "reason": reason,
                            "message": message,
                            "lastTransitionTime": created,
                        }
                        for condition, reason, message in (
                            ("NamesAccepted", "NoConflicts", "no conflicts found"),
                            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                        )
                    ],
                    "storedVersions": [info.version],
                },
            }
        )
    return crds


def custom_resources(
    counts: dict[str, int], namespaces: list[str], rng: random.Random, created: str
) -> list[dict[str, Any]]:
    objects = []
    for kind, count in counts.items():
        info = CUSTOM_KIND_BY_NAME[kind]
        for i in range(count):
            name = f"{kind.lower()}-{i:04d}"
            objects.append(
                {
                    "apiVersion": info.api_version,
                    "kind": kind,
                    "metadata": {
                        "name": name,
                        "namespace": rng.choice(namespaces),
                        "uid": _uid(rng),
                        "creationTimestamp": created,
                        "generation": rng.randrange(1, 4),
                        "labels": {
                            "app.kubernetes.io/name": name,
                            "app.kubernetes.io/component": kind.lower(),
                        },
                    },
                    "spec": {
                        f"{rng.choice(_WORDS)}{j}": rng.choice(
                            (rng.randrange(1, 1000), _sentence(rng, rng.randrange(1, 8)), bool(j % 2))
                        )
                        for j in range(rng.randrange(4, 24))
                    },
                    "status": {
                        "observedGeneration": 1,
                        "conditions": [
                            {
                                "type": "Ready",
                                "status": "True",
                                "reason": "Reconciled",
                                "message": _sentence(rng, 8),
                                "lastTransitionTime": created,
                            }
                        ],
                    },
                }
            )
    return objects
