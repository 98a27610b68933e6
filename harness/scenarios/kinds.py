"""The Kubernetes kinds ksbench generates and serves: group, version, plural, scope.

Data only, shared by the generator (apiVersion of each object) and the embedded API server
(discovery documents, URL routing). Must not import anything beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindInfo:
    kind: str
    group: str  # "" is the core group
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "get", "list")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def resource_id(self) -> str:
        """How faults and `forbidden` name a resource type: `v1/pods`, `apps/v1/deployments`."""
        return f"{self.api_version}/{self.plural}"


def _k(kind: str, group: str, version: str, plural: str, namespaced: bool, *short: str) -> KindInfo:
    return KindInfo(kind, group, version, plural, namespaced, tuple(short))


# Kinds whose objects author a pod spec: workload controllers and Pods (owned Pods inherit it).
POD_SPEC_OWNERS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")

# Kinds the generator emits, in the order objects are created (owners and namespaces first).
GENERATED_KINDS: tuple[KindInfo, ...] = (
    _k("Namespace", "", "v1", "namespaces", False, "ns"),
    _k("Node", "", "v1", "nodes", False, "no"),
    _k("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions", False, "crd"),
    _k("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    _k("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    _k("ServiceAccount", "", "v1", "serviceaccounts", True, "sa"),
    _k("Secret", "", "v1", "secrets", True),
    _k("ConfigMap", "", "v1", "configmaps", True, "cm"),
    _k("Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    _k("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    _k("Deployment", "apps", "v1", "deployments", True, "deploy"),
    _k("ReplicaSet", "apps", "v1", "replicasets", True, "rs"),
    _k("StatefulSet", "apps", "v1", "statefulsets", True, "sts"),
    _k("DaemonSet", "apps", "v1", "daemonsets", True, "ds"),
    _k("Job", "batch", "v1", "jobs", True),
    _k("CronJob", "batch", "v1", "cronjobs", True, "cj"),
    _k("Pod", "", "v1", "pods", True, "po"),
    _k("Service", "", "v1", "services", True, "svc"),
    _k("Ingress", "networking.k8s.io", "v1", "ingresses", True, "ing"),
    _k("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True, "netpol"),
)

# Served (empty unless created) because scanners and kubectl ask for them.
EXTRA_SERVED_KINDS: tuple[KindInfo, ...] = (
    _k("PersistentVolume", "", "v1", "persistentvolumes", False, "pv"),
    _k("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True, "pvc"),
    _k("LimitRange", "", "v1", "limitranges", True, "limits"),
    _k("ResourceQuota", "", "v1", "resourcequotas", True, "quota"),
    _k("Endpoints", "", "v1", "endpoints", True, "ep"),
    _k("Event", "", "v1", "events", True, "ev"),
    _k(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        False,
    ),
    _k(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        False,
    ),
    _k("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True, "pdb"),
    _k("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", True, "hpa"),
    _k("StorageClass", "storage.k8s.io", "v1", "storageclasses", False, "sc"),
)

BUILTIN_KINDS: tuple[KindInfo, ...] = GENERATED_KINDS + EXTRA_SERVED_KINDS
KIND_BY_NAME: dict[str, KindInfo] = {info.kind: info for info in GENERATED_KINDS}

# The custom resource the adversarial scenario serves under two API versions (same object, same uid).
WIDGET_GROUP = "ksbench.example.com"
WIDGET_VERSIONS = ("v1", "v1beta1")
WIDGET = KindInfo("Widget", WIDGET_GROUP, "v1", "widgets", True, ("wdg",))
SERVED_VERSIONS_ANNOTATION = "ksbench.io/served-versions"

# Custom kinds of the realistic scenarios' CRDs (operators' kinds, in made-up groups). Each plural is
# the kind lower-cased plus "s", which is what the creating client assumes for custom kinds.
CUSTOM_KINDS: tuple[KindInfo, ...] = tuple(
    KindInfo(kind, f"{area}.ksbench.example.com", version, f"{kind.lower()}s", True)
    for kind, area, version in (
        ("Certificate", "certs", "v1"),
        ("Monitor", "monitoring", "v1"),
        ("Backup", "backup", "v1"),
        ("Route", "gateway", "v1beta1"),
        ("Alert", "monitoring", "v1"),
        ("Scaler", "autoscaling", "v1alpha1"),
        ("Database", "data", "v1"),
        ("Topic", "streaming", "v1beta2"),
        ("Issuer", "certs", "v1"),
        ("Dashboard", "monitoring", "v1"),
        ("Snapshot", "backup", "v1"),
        ("Gateway", "gateway", "v1beta1"),
        ("Queue", "streaming", "v1beta2"),
        ("Tenant", "platform", "v1"),
        ("Probe", "monitoring", "v1"),
        ("Bucket", "data", "v1"),
        ("Pipeline", "ci", "v1"),
        ("Task", "ci", "v1"),
        ("Secretstore", "secrets", "v1beta1"),
        ("Rollout", "delivery", "v1alpha1"),
        ("Experiment", "delivery", "v1alpha1"),
        ("Mesh", "network", "v1"),
        ("Sidecar", "network", "v1"),
        ("Profile", "security", "v1"),
    )
)
CUSTOM_KIND_BY_NAME: dict[str, KindInfo] = {info.kind: info for info in CUSTOM_KINDS}
