"""What the API server and the controllers add to an object: defaults and status.

Pure: no I/O. Each function completes one object in place; choices come from the RNG it is
given, or (for a pod spec) from a hash of its app label, so a template and its Pods agree.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

Obj = dict[str, Any]


_POD_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]
# Repositories of the images a Node holds (sixteen, as many as the env words of realistic.py).
_IMAGE_WORDS = (
    "cache",
    "queue",
    "region",
    "timeout",
    "pool",
    "retry",
    "batch",
    "feature",
    "limit",
    "workers",
    "threads",
    "locale",
    "trace",
    "metrics",
    "upstream",
    "shard",
)
_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def digest(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest(), "big")


def shift(timestamp: str, seconds: int) -> str:
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(
        seconds=seconds
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _probe(port: int, path: str) -> Obj:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def default_pod_spec(spec: Obj, labels: dict[str, str], *, pod: bool) -> None:
    """The API server's defaults, and probes on most long-running apps (decided from the labels, so
    a template and its Pods agree)."""
    app = labels.get("app", "")
    long_running = spec.get("restartPolicy", "Always") == "Always"
    for container in spec["containers"]:
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        choice = digest(app, container["name"]) % 100
        port = container["ports"][0]["containerPort"] if container.get("ports") else 8080
        if long_running and choice < 70:
            container["livenessProbe"] = _probe(port, "/healthz")
        if long_running and choice < 80:
            container["readinessProbe"] = _probe(port, "/ready")
        if pod and spec.get("automountServiceAccountToken"):
            container.setdefault("volumeMounts", []).append(
                {
                    "name": f"kube-api-access-{digest(app) % 10**5:05d}",
                    "mountPath": _TOKEN_PATH,
                    "readOnly": True,
                }
            )
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if not pod:
        return
    spec["serviceAccount"] = spec.get("serviceAccountName", "default")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    spec["tolerations"] = [dict(t) for t in _POD_TOLERATIONS]
    if spec.get("automountServiceAccountToken"):
        spec.setdefault("volumes", []).append(
            {
                "name": f"kube-api-access-{digest(app) % 10**5:05d}",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        )


def node_defaults(node: Obj, rng: random.Random) -> None:
    meta, status = node["metadata"], node["status"]
    name = meta["name"]
    created = meta["creationTimestamp"]
    meta["labels"] = {
        **meta["labels"],
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "e2-standard-8",
        "topology.kubernetes.io/region": "region-1",
    }
    meta["annotations"] = {
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    node["spec"] = {
        **node["spec"],
        "podCIDRs": [node["spec"]["podCIDR"]],
        "providerID": f"kind://docker/ksbench/{name}",
    }
    beat = shift(created, 86400 * 30)
    ready = status["conditions"][0]
    status["conditions"] = [
        {
            "type": kind,
            "status": "False",
            "reason": f"KubeletHas{reason}",
            "message": f"kubelet has {text}",
            "lastHeartbeatTime": beat,
            "lastTransitionTime": created,
        }
        for kind, reason, text in (
            ("MemoryPressure", "SufficientMemory", "sufficient memory available"),
            ("DiskPressure", "NoDiskPressure", "no disk pressure"),
            ("PIDPressure", "SufficientPID", "sufficient PID available"),
        )
    ] + [
        {
            **ready,
            "message": "kubelet is posting ready status",
            "lastHeartbeatTime": beat,
            "lastTransitionTime": created,
        }
    ]
    status["addresses"].append({"type": "Hostname", "address": name})
    status["daemonEndpoints"] = {"kubeletEndpoint": {"Port": 10250}}
    status["allocatable"] = {
        **status["allocatable"],
        "ephemeral-storage": "101430960Ki",
        "hugepages-2Mi": "0",
    }
    status["capacity"] = {**status["capacity"], "ephemeral-storage": "101430960Ki", "hugepages-2Mi": "0"}
    images = []
    for i in range(rng.randrange(8, 16)):
        repo = f"registry.example.com/{rng.choice(_IMAGE_WORDS)}-{i}"
        images.append(
            {
                "names": [
                    f"{repo}@sha256:{rng.getrandbits(256):064x}",
                    f"{repo}:{rng.randrange(1, 9)}.{rng.randrange(30)}.0",
                ],
                "sizeBytes": rng.randrange(5_000_000, 900_000_000),
            }
        )
    status["images"] = images


def _deployment_defaults(obj: Obj, created: str, generation: int, rng: random.Random) -> None:
    spec, status = obj["spec"], obj["status"]
    spec.update(progressDeadlineSeconds=600, revisionHistoryLimit=10)
    spec["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    obj["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = str(generation)
    replicas = spec["replicas"]
    status.update(availableReplicas=replicas, updatedReplicas=replicas, observedGeneration=generation)
    status["conditions"] = [
        {
            "type": "Available",
            "status": "True",
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
            "lastTransitionTime": created,
            "lastUpdateTime": created,
        },
        {
            "type": "Progressing",
            "status": "True",
            "reason": "NewReplicaSetAvailable",
            "message": f'ReplicaSet "{obj["metadata"]["name"]}-{rng.getrandbits(40):010x}" has successfully progressed.',
            "lastTransitionTime": created,
            "lastUpdateTime": shift(created, 30),
        },
    ]


def workload_defaults(obj: Obj, created: str, generation: int, rng: random.Random) -> None:
    kind, spec = obj["kind"], obj["spec"]
    status = obj.setdefault("status", {})
    if kind == "Deployment":
        _deployment_defaults(obj, created, generation, rng)
    elif kind == "ReplicaSet":
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations["deployment.kubernetes.io/desired-replicas"] = str(spec["replicas"])
        annotations["deployment.kubernetes.io/max-replicas"] = str(spec["replicas"] + 1)
        status.update(
            fullyLabeledReplicas=spec["replicas"],
            availableReplicas=spec["replicas"],
            observedGeneration=generation,
        )
    elif kind == "StatefulSet":
        spec.update(podManagementPolicy="OrderedReady", revisionHistoryLimit=10)
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}
        revision = f"{obj['metadata']['name']}-{rng.getrandbits(40):010x}"
        status.update(
            availableReplicas=spec["replicas"],
            currentReplicas=spec["replicas"],
            updatedReplicas=spec["replicas"],
            currentRevision=revision,
            updateRevision=revision,
            collisionCount=0,
            observedGeneration=generation,
        )
    elif kind == "DaemonSet":
        spec.update(revisionHistoryLimit=10)
        spec["updateStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
        }
        status.update(
            numberAvailable=status["numberReady"],
            updatedNumberScheduled=status["numberReady"],
            observedGeneration=generation,
        )
    elif kind == "Job":
        spec.update(
            completionMode="NonIndexed",
            suspend=False,
            manualSelector=False,
            podReplacementPolicy="TerminatingOrFailed",
        )
        status.update(
            startTime=shift(created, 1),
            ready=status.get("active", 0),
            terminating=0,
            uncountedTerminatedPods={},
        )
    elif kind == "CronJob":
        spec.update(
            concurrencyPolicy="Allow", failedJobsHistoryLimit=1, successfulJobsHistoryLimit=3, suspend=False
        )
        spec["jobTemplate"]["metadata"] = {"creationTimestamp": None}
        status.update(lastScheduleTime=shift(created, 86400), lastSuccessfulTime=shift(created, 86460))


def service_defaults(obj: Obj) -> None:
    spec = obj["spec"]
    spec.update(
        clusterIPs=[spec["clusterIP"]],
        ipFamilies=["IPv4"],
        ipFamilyPolicy="SingleStack",
        internalTrafficPolicy="Cluster",
        sessionAffinity="None",
    )
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
    obj.setdefault("status", {"loadBalancer": {}})
