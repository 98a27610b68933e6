"""Anonymisation of a real cluster dump: identifying strings replaced, sizes and rule-read structure kept.

Names, namespaces, label values, images, hosts and IP addresses are replaced by keyed hashes
(one function for names and label values, so selectors, roleRefs, subjects,
serviceAccountName, ownerReferences and every other reference still join); Secret and
ConfigMap values become random bytes of the same length (PEM markers kept, which a rule reads);
env values, annotation values, command words and custom resources' strings are scrubbed.
Lengths are kept (names grow to at least 12 characters so that hashes cannot collide).
Kubernetes' own names (default, kube-system, system:*, cluster-admin, …), label and
annotation keys of kubernetes.io, k8s.io and helm.sh, ConfigMap and Secret keys and env
variable names are kept: rules read them. Pure: no I/O; the key is the caller's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]

_KEEP_NAMES = frozenset(
    {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "kube-root-ca.crt",
        "kubernetes",
        "true",
        "false",
        "",
    }
)
_WELL_KNOWN_DOMAINS = ("kubernetes.io", "k8s.io", "helm.sh")
# Keys whose string value names another object.
_REFERENCE_KEYS = frozenset(
    {
        "serviceAccountName",
        "serviceAccount",
        "nodeName",
        "secretName",
        "claimName",
        "serviceName",
        "volumeName",
        "namespace",
        "generateName",
        "externalName",
    }
)
# Dicts whose "name" names another object; lists of dicts whose items' "name" does.
_REFERENCE_DICTS = frozenset(
    {
        "secretKeyRef",
        "configMapKeyRef",
        "configMapRef",
        "secretRef",
        "configMap",
        "secret",
        "service",
        "roleRef",
        "scaleTargetRef",
    }
)
_REFERENCE_LISTS = frozenset({"subjects", "ownerReferences", "imagePullSecrets", "secrets"})
_BUILTIN_GROUPS = frozenset(
    {
        "",
        "v1",
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "autoscaling",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "events.k8s.io",
    }
)
_KEEP_ANNOTATIONS = ("apparmor.security.beta.kubernetes.io", "seccomp.security.alpha.kubernetes.io")
_KEEP_COMMAND_WORDS = frozenset({"sudo", "sh", "bash", "-c", "/bin/sh", "/bin/bash", "exec", "&&", "|", ";"})
_TOKEN = re.compile(r"[A-Za-z0-9._-]+")
_TOKEN_HINT = re.compile(r"[a-z0-9][-./\"]|[a-z]{6}")
_IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_VERSION_TAG = re.compile(r"^v?\d+(\.\d+){0,3}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_MIN_NAME_CHARS = 12


class Anonymiser:
    """One anonymisation: the same key maps the same string to the same pseudonym."""

    def __init__(self, key: bytes, names: Iterable[str] = ()) -> None:
        self.key = key
        self.names = frozenset(names) - _KEEP_NAMES
        self.random = random.Random(key)
        self.cache: dict[tuple[str, str], str] = {}

    # -- the pseudonyms -----------------------------------------------------------------------------

    def _stream(self, purpose: str, value: str, length: int, alphabet: str) -> str:
        out: list[str] = []
        counter = 0
        while len(out) < length:
            digest = hashlib.blake2b(
                f"{purpose}\x00{value}\x00{counter}".encode(), key=self.key[:64], digest_size=64
            ).digest()
            out += [alphabet[b % len(alphabet)] for b in digest]
            counter += 1
        return "".join(out[:length])

    def name(self, value: str) -> str:
        """A name or label value: a letter, then letters and digits; at least 12 characters."""
        if value in _KEEP_NAMES or value.startswith("system:"):
            return value
        cached = self.cache.get(("name", value))
        if cached is None:
            length = max(len(value), _MIN_NAME_CHARS)
            cached = self._stream("name", value, 1, _ALPHABET[:26]) + self._stream(
                "name+", value, length - 1, _ALPHABET
            )
            self.cache[("name", value)] = cached
        return cached

    def host(self, value: str) -> str:
        if _IPV4.match(value):
            return self.ip(value)
        return ".".join(
            label if label == "*" else self._stream("host", label, len(label), _ALPHABET[:26])
            for label in value.split(".")
        )

    def ip(self, value: str) -> str:
        digest = hashlib.blake2b(value.encode(), key=self.key[:64], digest_size=3).digest()
        return f"10.{digest[0]}.{digest[1]}.{digest[2]}"

    def image(self, value: str) -> str:
        rest, _, digest = value.partition("@")
        path, tag = rest, ""
        if ":" in rest.rsplit("/", 1)[-1]:
            path, _, tag = rest.rpartition(":")
        parts = path.split("/")
        out = "/".join(
            self.host(part)
            if i == 0 and len(parts) > 1
            else self._stream("image", part, len(part), _ALPHABET[:26])
            for i, part in enumerate(parts)
        )
        if tag:
            kept = tag == "latest" or _VERSION_TAG.match(tag)
            out += ":" + (tag if kept else self._stream("tag", tag, len(tag), _ALPHABET))
        if digest:
            algorithm, _, hexdigest = digest.partition(":")
            out += f"@{algorithm}:{self._stream('digest', hexdigest, len(hexdigest), '0123456789abcdef')}"
        return out

    def key_name(self, key: str) -> str:
        """A label or annotation key: a custom domain prefix is hashed, the name kept."""
        prefix, slash, rest = key.rpartition("/")
        if not slash or prefix.endswith(_WELL_KNOWN_DOMAINS):
            return key
        return f"{self.host(prefix)}/{rest}"

    def filler(self, value: str) -> str:
        return "x" * len(value)

    def random_text(self, length: int) -> str:
        return "".join(self.random.choices(_ALPHABET, k=length))

    def random_base64(self, value: str) -> str:
        try:
            decoded = base64.b64decode(value, validate=True)
        except ValueError:
            return self.random_text(len(value))
        text = decoded.decode("latin-1")
        if "-----BEGIN " in text and "PRIVATE KEY-----" in text:
            # The PEM markers stay (a rule looks for them); the key material does not.
            lines = [
                line if line.startswith("-----") else self.random_text(len(line)) for line in text.split("\n")
            ]
            return base64.b64encode("\n".join(lines).encode("latin-1")).decode()
        return base64.b64encode(self.random.randbytes(len(decoded))).decode()

    # -- objects ------------------------------------------------------------------------------------

    def labels(self, labels: Obj) -> Obj:
        return {self.key_name(k): self.name(v) if isinstance(v, str) else v for k, v in labels.items()}

    def annotations(self, annotations: Obj) -> Obj:
        return {
            self.key_name(k): v
            if k.startswith(_KEEP_ANNOTATIONS) or not isinstance(v, str)
            else self.filler(v)
            for k, v in annotations.items()
        }

    def obj(self, obj: Obj) -> Obj:
        kind = str(obj.get("kind", ""))
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        result: Obj = self.walk(obj, "")
        if kind in ("Secret", "ConfigMap"):
            for field in ("data", "binaryData", "stringData"):
                values = obj.get(field)
                if isinstance(values, dict):
                    encoded = field != "stringData" and (kind == "Secret" or field == "binaryData")
                    result[field] = {
                        k: (self.random_base64(v) if encoded else self.random_text(len(v)))
                        if isinstance(v, str)
                        else v
                        for k, v in values.items()
                    }
        elif group not in _BUILTIN_GROUPS and isinstance(result.get("spec"), dict):
            result["spec"] = self.scrub(result["spec"])  # custom resources: any string may be anything
        return result

    def scrub(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, str):
            return self.name(value) if value in self.names else self.filler(value)
        return value

    def walk(self, value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return self._dict(value, key)
        if isinstance(value, list):
            return self._list(value, key)
        if not isinstance(value, str):
            return value
        if key in ("image", "imageID"):
            return self.image(value)
        if key in _REFERENCE_KEYS or (key == "name" and value in self.names):
            return self.name(value)
        if key in ("host", "hostname") or _IPV4.match(value):
            return self.host(value)
        return self.text(value)

    def text(self, value: str) -> str:
        """Any other string: names inside it (a revision `web-5d8f`, a message, a provider ID) are renamed."""
        if value in self.names:
            return self.name(value)
        if not self.names or not _TOKEN_HINT.search(value):
            return value
        return _TOKEN.sub(lambda match: self._token(match.group(0)), value)

    def _token(self, token: str) -> str:
        """The longest runs of `-`-separated parts that are known names, renamed; the rest kept."""
        if token in self.names:
            return self.name(token)
        parts = token.split("-")
        out: list[str] = []
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                candidate = "-".join(parts[i:j])
                if candidate in self.names:
                    out.append(self.name(candidate))
                    i = j
                    break
            else:
                out.append(parts[i])
                i += 1
        return "-".join(out)

    def _dict(self, value: Obj, key: str) -> Obj:
        if key in ("labels", "matchLabels", "nodeSelector") or (
            key == "selector" and all(isinstance(v, str) for v in value.values())
        ):
            return self.labels(value)
        if key == "annotations":
            return self.annotations(value)
        if key == "fieldsV1":
            return self._fields(value)
        out: Obj = {}
        for k, v in value.items():
            if k == "name" and isinstance(v, str) and key in _REFERENCE_DICTS:
                out[k] = self.name(v)
            elif k == "value" and isinstance(v, str) and key == "env":
                out[k] = self.filler(v)
            elif k in ("command", "args") and isinstance(v, list):
                out[k] = [self._command(item) if isinstance(item, str) else item for item in v]
            elif k == "values" and isinstance(v, list) and "operator" in value:
                out[k] = [self.name(item) if isinstance(item, str) else item for item in v]
            elif k == "key" and isinstance(v, str) and "operator" in value:
                out[k] = self.key_name(v)
            elif k == "hosts" and isinstance(v, list):
                out[k] = [self.host(item) if isinstance(item, str) else item for item in v]
            elif k == "names" and key == "images" and isinstance(v, list):
                out[k] = [self.image(item) if isinstance(item, str) else item for item in v]
            else:
                out[k] = self.walk(v, k)
        return out

    def _list(self, value: list[Any], key: str) -> list[Any]:
        if key in _REFERENCE_LISTS:
            return [
                {**self.walk(item, key), "name": self.name(item["name"])}
                if isinstance(item, dict) and isinstance(item.get("name"), str)
                else self.walk(item, key)
                for item in value
            ]
        # Items of env lists: each dict's "value" is scrubbed (the dict sees key "env").
        return [self.walk(item, key) for item in value]

    def _command(self, text: str) -> str:
        return " ".join(
            word if word in _KEEP_COMMAND_WORDS else self.filler(word) for word in text.split(" ")
        )

    def _fields(self, fields: Obj, parent: str = "") -> Obj:
        """managedFields: label and annotation keys as in the object; `k:`/`v:` keys carry values, scrubbed."""
        out: Obj = {}
        for k, v in fields.items():
            new_key = k
            if k.startswith("f:") and parent in ("f:labels", "f:annotations"):
                new_key = "f:" + self.key_name(k[2:])
            elif k.startswith("v:"):
                new_key = "v:" + self.filler(k[2:])
            elif k.startswith("k:"):
                new_key = "k:" + self._merge_key(k[2:])
            out[new_key] = self._fields(v, k) if isinstance(v, dict) else v
        return out

    def _merge_key(self, text: str) -> str:
        try:
            item = json.loads(text)
        except ValueError:
            return self.filler(text)
        if not isinstance(item, dict):
            return self.filler(text)
        renamed = {k: self.name(v) if isinstance(v, str) and v in self.names else v for k, v in item.items()}
        return json.dumps(renamed, separators=(",", ":"))


def collect_names(objects: Iterable[Obj]) -> set[str]:
    """Every metadata name and namespace of a dump: the strings that references may repeat."""
    names: set[str] = set()
    for obj in objects:
        meta = obj.get("metadata") or {}
        for field in ("name", "namespace"):
            if isinstance(meta.get(field), str):
                names.add(meta[field])
    return names
