"""Helm's marks on a cluster: chart labels, release Secrets, and the sized data of ConfigMaps and Secrets.

Pure: no I/O. A release Secret is what Helm 3 stores per revision: `sh.helm.release.v1.NAME.vN`,
type `helm.sh/release.v1`, its `release` value the base64 of a gzip of the release JSON (here
random bytes of the drawn size: gzip output is incompressible, so the size is what matters).
"""

from __future__ import annotations

import base64
import random
from typing import Any

HELM_MANAGER = "helm"
RELEASE_TYPE = "helm.sh/release.v1"
_GZIP_MAGIC = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# Bytes of a release Secret besides its value: metadata, labels and managedFields.
_RELEASE_OVERHEAD_BYTES = 1_100
# Config file names and their line shapes; none contains a word the credential rules look for.
_CONFIG_FILES = (
    "config.yaml",
    "application.properties",
    "nginx.conf",
    "rules.yaml",
    "dashboard.json",
    "settings.ini",
    "routes.yaml",
    "logging.xml",
)


def helm_labels(release: str, namespace: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations a chart puts on what it installs."""
    digest = sum(release.encode()) % 97
    labels = {
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/version": f"{digest % 9 + 1}.{digest % 13}.{digest % 7}",
        "helm.sh/chart": f"{release.split('-')[-1]}-{digest % 5}.{digest % 11}.{digest % 3}",
    }
    annotations = {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace}
    return labels, annotations


def release_secret(
    secret: dict[str, Any],
    namespace: str,
    release: str,
    revision: int,
    latest: bool,
    size_bytes: int,
    rng: random.Random,
) -> None:
    """Turn a Secret (in place) into revision `revision` of `release`, about `size_bytes` of JSON."""
    meta = secret["metadata"]
    meta["namespace"] = namespace
    meta["name"] = f"sh.helm.release.v1.{release}.v{revision}"
    meta["labels"] = {
        "modifiedAt": str(1_700_000_000 + rng.randrange(10**7)),
        "name": release,
        "owner": "helm",
        "status": "deployed" if latest else "superseded",
        "version": str(revision),
    }
    meta.pop("annotations", None)
    secret["type"] = RELEASE_TYPE
    # The value is base64 twice over (Helm's, then the API's): 16 bytes of JSON per 9 of gzip.
    raw = max(64, (size_bytes - _RELEASE_OVERHEAD_BYTES) * 9 // 16)
    inner = base64.b64encode(_GZIP_MAGIC + rng.randbytes(raw - len(_GZIP_MAGIC)))
    secret["data"] = {"release": base64.b64encode(inner).decode()}


def size_config_map(config_map: dict[str, Any], deficit_bytes: int, rng: random.Random) -> None:
    """Add a config file of about `deficit_bytes` to a ConfigMap's data (nothing when there is no deficit)."""
    if deficit_bytes < 64:
        return
    lines, size = [], 0
    index = 0
    while size < deficit_bytes:
        line = f"setting_{index:05d}: {rng.randbytes(rng.randrange(6, 40)).hex()}"
        lines.append(line)
        size += len(line) + 2  # the newline, escaped in JSON
        index += 1
    config_map["data"][rng.choice(_CONFIG_FILES)] = "\n".join(lines) + "\n"


def size_secret(secret: dict[str, Any], deficit_bytes: int, rng: random.Random) -> None:
    """Add a value of about `deficit_bytes` (base64) to a Secret's data."""
    if deficit_bytes < 64:
        return
    key = "ca.crt" if secret.get("type") == "kubernetes.io/tls" else "settings.json"
    secret["data"][key] = base64.b64encode(rng.randbytes(deficit_bytes * 3 // 4)).decode()
