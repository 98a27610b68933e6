"""The embedded Kubernetes API server: a process speaking the API subset scanners and kubectl use.

`python -m harness.clusters.embedded_server --state DIR [--port P] [--forbid RESOURCE_ID]...`

Serves on 127.0.0.1 over HTTP/1.1 (keep-alive): /version, /readyz, /healthz, discovery,
create/get/delete, paged LIST (limit, continue, remainingItemCount) per namespace and across
namespaces, label selectors, CRD-registered kinds (one object under every served version),
and injected faults. Test hooks live under /_ksbench/ (faults, bulk load, stats).

Objects are held as serialized JSON bytes without their apiVersion (prefixed per served version
when answering), so lists are built by joining bytes. Owns nothing else: it must not import the
kubernetes client, the generator or anything that slows its start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import errno
import json
import os
import re
import signal
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_request import BaseRequest

from harness.scenarios.kinds import BUILTIN_KINDS

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-ksbench",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-06-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
STATE_FILE = "server.json"
_MAX_SNAPSHOTS = 256
_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "AlreadyExists",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_UTC_SUFFIX = b'+00:00"'
_DATETIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?")
_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
    "that were created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class ApiError(Exception):
    """Answered as a Kubernetes Status body."""

    def __init__(
        self, code: int, message: str, reason: str | None = None, details: Mapping[str, Any] | None = None
    ):
        super().__init__(message)
        self.code = code
        self.reason = reason or _REASONS.get(code, "Unknown")
        self.details = dict(details or {})

    def body(self) -> bytes:
        status: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Status",
            "metadata": {},
            "status": "Failure",
            "message": str(self),
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return _dumps(status)


class Entry:
    """One stored object: its JSON without apiVersion (starting after the opening brace)."""

    __slots__ = ("labels", "name", "namespace", "rest")

    def __init__(self, namespace: str, name: str, rest: bytes, labels: dict[str, str] | None) -> None:
        self.namespace = namespace
        self.name = name
        self.rest = rest
        self.labels = labels

    def to_bytes(self, api_version: str) -> bytes:
        return b'{"apiVersion":' + _dumps(api_version) + b"," + self.rest

    def to_object(self, api_version: str) -> dict[str, Any]:
        obj: dict[str, Any] = json.loads(self.to_bytes(api_version))
        return obj


@dataclass
class ResourceType:
    """One resource type, possibly served under several versions of its group."""

    kind: str
    group: str
    versions: tuple[str, ...]
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    objects: dict[tuple[str, str], Entry] = field(default_factory=dict)
    _sorted: list[Entry] | None = None

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def resource_ids(self, version: str) -> tuple[str, ...]:
        return (self.plural, f"{self.api_version(version)}/{self.plural}", "*")

    def sorted_entries(self) -> list[Entry]:
        # Etcd key order (namespace, then name), rebuilt only after a write.
        if self._sorted is None:
            self._sorted = [self.objects[key] for key in sorted(self.objects)]
        return self._sorted

    def put(self, entry: Entry) -> None:
        self.objects[(entry.namespace, entry.name)] = entry
        self._sorted = None

    def remove(self, namespace: str, name: str) -> Entry | None:
        entry = self.objects.pop((namespace, name), None)
        self._sorted = None
        return entry


@dataclass
class Fault:
    """An injected failure for requests to one resource type (or `*`)."""

    resource: str
    action: str  # status | delay | expire | drop
    verbs: tuple[str, ...] = ()
    namespace: str | None = None
    status: int = 500
    delay_seconds: float = 0.0
    on: str = "any"  # any | first (no continue token) | continue
    times: int | None = None  # None: every matching request

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        action = data.get("action")
        if action not in ("status", "delay", "expire", "drop"):
            raise ApiError(400, f"fault action {action!r} is not one of status, delay, expire, drop")
        if "resource" not in data or not isinstance(data["resource"], str):
            raise ApiError(
                400, "fault needs 'resource': a plural ('pods'), an id ('apps/v1/deployments') or '*'"
            )
        unknown = set(data) - {
            "resource",
            "action",
            "verbs",
            "namespace",
            "status",
            "delay_seconds",
            "on",
            "times",
        }
        if unknown:
            raise ApiError(400, f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(
            resource=data["resource"],
            action=action,
            verbs=tuple(data.get("verbs", ())),
            namespace=data.get("namespace"),
            status=int(data.get("status", 500)),
            delay_seconds=float(data.get("delay_seconds", 0.0)),
            on=str(data.get("on", "continue" if action == "expire" else "any")),
            times=data.get("times"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "action": self.action,
            "verbs": list(self.verbs),
            "namespace": self.namespace,
            "status": self.status,
            "delay_seconds": self.delay_seconds,
            "on": self.on,
            "times": self.times,
        }


_SELECTOR_TERM = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9_.-]*)|\s+(?P<setop>in|notin)\s+\((?P<values>[^)]*)\))?\s*$"
)


def _split_selector(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term for term in terms if term.strip()]


def parse_label_selector(text: str) -> list[tuple[str, str, frozenset[str]]]:
    """`a=b,c!=d,e,!f,g in (x,y)` → (key, operator, values) terms; ApiError 400 when malformed."""
    terms: list[tuple[str, str, frozenset[str]]] = []
    for raw in _split_selector(text):
        match = _SELECTOR_TERM.match(raw)
        if not match or (match["neg"] and (match["op"] or match["setop"])):
            raise ApiError(400, f"unable to parse requirement: {raw!r}")
        key = match["key"]
        if match["neg"]:
            terms.append((key, "!", frozenset()))
        elif match["op"]:
            terms.append((key, "!=" if match["op"] == "!=" else "=", frozenset([match["value"]])))
        elif match["setop"]:
            values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
            terms.append((key, match["setop"], values))
        else:
            terms.append((key, "exists", frozenset()))
    return terms


def _selected(labels: Mapping[str, str] | None, terms: Iterable[tuple[str, str, frozenset[str]]]) -> bool:
    labels = labels or {}
    for key, op, values in terms:
        present = key in labels
        if op in ("=", "in"):
            if not present or labels[key] not in values:
                return False
        elif op in ("!=", "notin"):
            if present and labels[key] in values:
                return False
        elif op == "exists":
            if not present:
                return False
        elif op == "!" and present:
            return False
    return True


class Store:
    """Every resource type and object, the resourceVersion counter, list snapshots, faults."""

    def __init__(self) -> None:
        self.resource_version = 1
        self.types: dict[tuple[str, str], ResourceType] = {}  # (group, plural)
        self.routes: dict[tuple[str, str, str], ResourceType] = {}  # (group, version, plural)
        self.by_kind: dict[tuple[str, str], ResourceType] = {}  # (apiVersion, kind)
        self.snapshots: OrderedDict[int, tuple[int, list[Entry]]] = OrderedDict()
        self.next_snapshot = 1
        self.faults: list[Fault] = []
        # The scenario's forbidden resource types: LIST answers 403; not cleared with the faults.
        self.forbidden: set[str] = set()
        self.requests_served: dict[str, int] = {}
        self.discovery: dict[str, bytes] = {}
        self.port = 0
        for info in BUILTIN_KINDS:
            self.register(
                ResourceType(
                    info.kind, info.group, (info.version,), info.plural, info.namespaced, info.short_names
                )
            )

    # -- resource types and discovery -----------------------------------------------------------

    def register(self, rtype: ResourceType) -> None:
        existing = self.types.get((rtype.group, rtype.plural))
        if existing is not None:
            rtype.objects = existing.objects
            self.unregister(existing)
        self.types[(rtype.group, rtype.plural)] = rtype
        for version in rtype.versions:
            self.routes[(rtype.group, version, rtype.plural)] = rtype
            self.by_kind[(rtype.api_version(version), rtype.kind)] = rtype
        self.discovery.clear()

    def unregister(self, rtype: ResourceType) -> None:
        self.types.pop((rtype.group, rtype.plural), None)
        for version in rtype.versions:
            self.routes.pop((rtype.group, version, rtype.plural), None)
            self.by_kind.pop((rtype.api_version(version), rtype.kind), None)
        self.discovery.clear()

    def _group_versions(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for group, version, _ in self.routes:
            versions = groups.setdefault(group, [])
            if version not in versions:
                versions.append(version)
        for versions in groups.values():
            versions.sort(key=_version_priority)
        return groups

    def discovery_document(self, path: str) -> bytes | None:
        cached = self.discovery.get(path)
        if cached is not None:
            return cached
        groups = self._group_versions()
        document: dict[str, Any] | None = None
        parts = path.strip("/").split("/")
        if parts == ["api"]:
            document = {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}
                ],
            }
        elif parts == ["api", "v1"]:
            document = self._resource_list("", "v1")
        elif parts == ["apis"]:
            document = {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [self._group(name, groups[name]) for name in sorted(groups) if name],
            }
        elif len(parts) == 2 and parts[0] == "apis" and parts[1] in groups and parts[1]:
            document = {"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1], groups[parts[1]])}
        elif len(parts) == 3 and parts[0] == "apis" and parts[2] in groups.get(parts[1], []) and parts[1]:
            document = self._resource_list(parts[1], parts[2])
        if document is None:
            return None
        body = _dumps(document)
        self.discovery[path] = body
        return body

    @staticmethod
    def _group(name: str, versions: list[str]) -> dict[str, Any]:
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": entries, "preferredVersion": entries[0]}

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources = []
        for (g, v, plural), rtype in sorted(self.routes.items()):
            if g == group and v == version:
                resource: dict[str, Any] = {
                    "name": plural,
                    "singularName": rtype.kind.lower(),
                    "namespaced": rtype.namespaced,
                    "kind": rtype.kind,
                    "verbs": ["create", "delete", "get", "list", "update"],
                }
                if rtype.short_names:
                    resource["shortNames"] = list(rtype.short_names)
                resources.append(resource)
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    # -- objects ---------------------------------------------------------------------------------

    def namespace_exists(self, namespace: str) -> bool:
        return ("", namespace) in self.types[("", "namespaces")].objects

    def create(
        self,
        rtype: ResourceType,
        version: str,
        namespace: str | None,
        body: dict[str, Any],
        *,
        if_missing: bool = False,
    ) -> tuple[bytes | None, bool]:
        """Store a new object; returns (its JSON, created). ApiError when it cannot be created."""
        if not isinstance(body, dict):
            raise ApiError(400, "the request body is not a JSON object")
        kind = body.get("kind", rtype.kind)
        if kind != rtype.kind:
            raise ApiError(400, f"the body's kind {kind!r} does not match the resource {rtype.plural!r}")
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError(400, "metadata must be an object")
        name = meta.get("name")
        if not name and meta.get("generateName"):
            name = meta["generateName"] + uuid.uuid4().hex[:5]
            meta["name"] = name
        if not isinstance(name, str) or not name:
            raise ApiError(
                422,
                f"{rtype.kind} is invalid: metadata.name: Required value: name or generateName is required",
                "Invalid",
            )
        if rtype.namespaced:
            body_ns = meta.get("namespace")
            namespace = namespace or body_ns
            if not namespace:
                raise ApiError(400, "a namespaced object needs a namespace")
            if body_ns and body_ns != namespace:
                raise ApiError(
                    400,
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            meta["namespace"] = namespace
            if not self.namespace_exists(namespace):
                raise ApiError(
                    404,
                    f'namespaces "{namespace}" not found',
                    details={"name": namespace, "kind": "namespaces"},
                )
        else:
            meta.pop("namespace", None)
            namespace = ""
        key = (namespace, name)
        if key in rtype.objects:
            if if_missing:
                return None, False
            raise ApiError(
                409, f'{rtype.plural} "{name}" already exists', details={"name": name, "kind": rtype.plural}
            )
        self.resource_version += 1
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        meta["resourceVersion"] = str(self.resource_version)
        if rtype.kind == "Namespace":
            body.setdefault("status", {"phase": "Active"})
        body["kind"] = rtype.kind
        body.pop("apiVersion", None)
        labels = meta.get("labels") or None
        data = _utc_with_z(_dumps(body))
        entry = Entry(namespace, name, data[1:], labels)
        rtype.put(entry)
        if rtype.kind == "CustomResourceDefinition":
            self.register_crd(body)
        return entry.to_bytes(rtype.api_version(version)), True

    def register_crd(self, crd: Mapping[str, Any]) -> None:
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        versions = tuple(
            sorted(
                (v["name"] for v in spec.get("versions", []) if v.get("served", True)), key=_version_priority
            )
        )
        if not (spec.get("group") and names.get("plural") and names.get("kind") and versions):
            raise ApiError(
                422,
                "CustomResourceDefinition needs spec.group, spec.names.plural/kind and served versions",
                "Invalid",
            )
        self.register(
            ResourceType(
                names["kind"],
                spec["group"],
                versions,
                names["plural"],
                spec.get("scope", "Namespaced") == "Namespaced",
                tuple(names.get("shortNames", ())),
            )
        )

    def delete(self, rtype: ResourceType, version: str, namespace: str, name: str) -> bytes:
        entry = rtype.objects.get((namespace, name))
        if entry is None:
            raise ApiError(
                404, f'{rtype.plural} "{name}" not found', details={"name": name, "kind": rtype.plural}
            )
        body = entry.to_bytes(rtype.api_version(version))
        rtype.remove(namespace, name)
        self.resource_version += 1
        if rtype.kind == "Namespace":
            for other in self.types.values():
                if other.namespaced:
                    for key in [k for k in other.objects if k[0] == name]:
                        other.remove(*key)
        if rtype.kind == "CustomResourceDefinition":
            spec = entry.to_object("apiextensions.k8s.io/v1").get("spec", {})
            custom = self.types.get((spec.get("group", ""), spec.get("names", {}).get("plural", "")))
            if custom is not None:
                self.unregister(custom)
        return body

    def list_page(
        self,
        rtype: ResourceType,
        version: str,
        namespace: str | None,
        query: Mapping[str, str],
    ) -> bytes:
        try:
            limit = int(query.get("limit", "0") or 0)
        except ValueError as exc:
            raise ApiError(400, f"limit {query.get('limit')!r} is not an integer") from exc
        token = query.get("continue", "")
        if token:
            snapshot_id, offset = _decode_continue(token)
            snapshot = self.snapshots.get(snapshot_id)
            if snapshot is None:
                raise ApiError(410, _EXPIRED_MESSAGE, "Expired")
            self.snapshots.move_to_end(snapshot_id)
            list_rv, items = snapshot
        else:
            offset, list_rv = 0, self.resource_version
            items = self._filter(rtype, namespace, query)
            snapshot_id = 0
        end = len(items) if limit <= 0 else min(len(items), offset + limit)
        metadata: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if end < len(items):
            if not snapshot_id:
                snapshot_id = self.next_snapshot
                self.next_snapshot += 1
                self.snapshots[snapshot_id] = (list_rv, items)
                while len(self.snapshots) > _MAX_SNAPSHOTS:
                    self.snapshots.popitem(last=False)
            metadata["continue"] = _encode_continue(snapshot_id, end, list_rv)
            metadata["remainingItemCount"] = len(items) - end
        api_version = _dumps(rtype.api_version(version))
        # One join copies each stored object once into the page.
        prefix = b'{"apiVersion":' + api_version + b","
        parts = [b'{"apiVersion":' + api_version + b',"items":[']
        for entry in items[offset:end]:
            parts += (prefix, entry.rest, b",")
        if end > offset:
            parts.pop()
        parts.append(b'],"kind":' + _dumps(f"{rtype.kind}List") + b',"metadata":' + _dumps(metadata) + b"}")
        return b"".join(parts)

    def _filter(self, rtype: ResourceType, namespace: str | None, query: Mapping[str, str]) -> list[Entry]:
        entries = rtype.sorted_entries()
        if namespace is not None:
            entries = [e for e in entries if e.namespace == namespace]
        for term in _split_selector(query.get("fieldSelector", "")):
            key, _, value = term.partition("=")
            negate = key.endswith("!")
            key = key.rstrip("!=").strip()
            value = value.lstrip("=").strip()
            if key == "metadata.name":
                entries = [e for e in entries if (e.name == value) != negate]
            elif key == "metadata.namespace":
                entries = [e for e in entries if (e.namespace == value) != negate]
            else:
                raise ApiError(
                    400, f'"{key}" is not a known field selector: only "metadata.name", "metadata.namespace"'
                )
        selector = query.get("labelSelector", "")
        if selector:
            terms = parse_label_selector(selector)
            entries = [e for e in entries if _selected(e.labels, terms)]
        return list(entries)

    def bulk_create(self, items: Iterable[dict[str, Any]]) -> tuple[int, int]:
        created = existing = 0
        for item in items:
            api_version, kind = item.get("apiVersion", ""), item.get("kind", "")
            rtype = self.by_kind.get((api_version, kind))
            if rtype is None:
                raise ApiError(400, f"no resource serves {api_version} {kind}")
            _, was_created = self.create(rtype, api_version.rsplit("/", 1)[-1], None, item, if_missing=True)
            created += was_created
            existing += not was_created
        return created, existing

    def stats(self) -> dict[str, Any]:
        counts = {rtype.kind: len(rtype.objects) for rtype in self.types.values() if rtype.objects}
        return {
            "objects": sum(counts.values()),
            "kinds": dict(sorted(counts.items())),
            "resourceVersion": self.resource_version,
            "requests": dict(sorted(self.requests_served.items())),
            "faults": [fault.to_json() for fault in self.faults],
            "forbidden": sorted(self.forbidden),
        }


def _utc_with_z(data: bytes) -> bytes:
    """JSON with every `"<RFC 3339 datetime>+00:00"` string written with `Z`, as the API server stores it.

    The official client serialises datetimes as +00:00. Each candidate is found by its suffix and
    checked back to its opening quote: a regex scan of every quote in an 8 KB body cost more CPU.
    """
    at = data.find(_UTC_SUFFIX)
    if at < 0:
        return data
    parts: list[bytes] = []
    start = 0
    while at >= 0:
        quote = data.rfind(b'"', start, at)
        if quote >= 0 and _DATETIME.fullmatch(data, quote + 1, at):
            parts += (data[start:at], b'Z"')
            start = at + len(_UTC_SUFFIX)
        at = data.find(_UTC_SUFFIX, at + len(_UTC_SUFFIX))
    parts.append(data[start:])
    return b"".join(parts)


def _version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes version order: GA before beta before alpha, higher numbers first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0, version)
    level = {"": 0, "beta": 1, "alpha": 2}[match[2] or ""]
    return (level, -int(match[1]), -int(match[3] or 0), version)


def _encode_continue(snapshot_id: int, offset: int, resource_version: int) -> str:
    raw = _dumps({"rv": resource_version, "snapshot": snapshot_id, "offset": offset})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["snapshot"]), int(data["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ApiError(400, "continue key is not valid: malformed token") from exc


@dataclass(frozen=True)
class Route:
    rtype: ResourceType
    version: str
    namespace: str | None
    name: str | None


class Server:
    """HTTP edge: routes a request to the store, applies faults, answers JSON."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def route(self, path: str) -> Route | None:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 2:
            return None
        rtype = self.store.routes.get((group, version, rest[0]))
        if rtype is None or (namespace is not None and not rtype.namespaced):
            return None
        return Route(rtype, version, namespace, rest[1] if len(rest) == 2 else None)

    def _fault_for(self, route: Route, verb: str, has_continue: bool) -> Fault | None:
        ids = route.rtype.resource_ids(route.version)
        for fault in self.store.faults:
            if fault.resource not in ids or (fault.verbs and verb not in fault.verbs):
                continue
            if fault.namespace is not None and fault.namespace != route.namespace:
                continue
            if (fault.on == "first" and has_continue) or (fault.on == "continue" and not has_continue):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.store.faults.remove(fault)
            return fault
        return None

    async def handle(self, request: BaseRequest) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except ApiError as exc:
            return _json(exc.body(), exc.code)

    async def _handle(self, request: BaseRequest) -> web.StreamResponse:
        path, method = request.path.rstrip("/") or "/", request.method
        if path.startswith("/_ksbench/"):
            return await self._hooks(request)
        if path in ("/readyz", "/healthz", "/livez"):
            return web.Response(text="ok")
        if path == "/version":
            return _json(_dumps(SERVER_VERSION))
        if method == "GET":
            document = self.store.discovery_document(path)
            if document is not None:
                return _json(document)
        route = self.route(path)
        if route is None:
            raise ApiError(404, f"the server could not find the requested resource ({method} {path})")
        query = request.query
        verb = {
            "GET": "get" if route.name else "list",
            "POST": "create",
            "PUT": "update",
            "DELETE": "delete",
        }.get(method)
        if verb is None or (verb == "create" and route.name) or (verb == "update" and not route.name):
            raise ApiError(405, f"{method} is not supported on {path}")
        if verb == "list" and query.get("watch") in ("1", "true"):
            raise ApiError(405, "watch is not supported by the ksbench embedded server")
        self.store.requests_served[verb] = self.store.requests_served.get(verb, 0) + 1
        if verb == "list" and self.store.forbidden.intersection(route.rtype.resource_ids(route.version)[:2]):
            await self._apply(Fault("forbidden", "status", status=403), route, verb, request)
        fault = self._fault_for(route, verb, bool(query.get("continue")))
        if fault is not None:
            await self._apply(fault, route, verb, request)
        rtype, version = route.rtype, route.version
        if verb == "list":
            return _json(self.store.list_page(rtype, version, route.namespace, query))
        namespace = route.namespace or ""
        if verb == "get":
            assert route.name is not None
            entry = _existing(rtype, namespace, route.name)
            return _json(entry.to_bytes(rtype.api_version(version)))
        if verb == "delete":
            assert route.name is not None
            return _json(self.store.delete(rtype, version, namespace, route.name))
        try:
            body = json.loads(await request.content.read())
        except ValueError as exc:
            raise ApiError(400, f"the request body is not valid JSON: {exc}") from exc
        if verb == "update":
            assert route.name is not None
            existing = _existing(rtype, namespace, route.name)
            if not isinstance(body, dict) or body.get("metadata", {}).get("name", route.name) != route.name:
                raise ApiError(400, "the name of the object does not match the name on the URL")
            previous = existing.to_object(rtype.api_version(version))["metadata"]
            body.setdefault("metadata", {})
            for key in ("uid", "creationTimestamp"):
                body["metadata"][key] = previous[key]
            rtype.remove(namespace, route.name)
            replaced, _ = self.store.create(rtype, version, route.namespace, body)
            return _json(replaced or b"", 200)
        created, _ = self.store.create(rtype, version, route.namespace, body)
        assert created is not None
        return _json(created, 201)

    async def _apply(self, fault: Fault, route: Route, verb: str, request: BaseRequest) -> None:
        if fault.action == "delay":
            await asyncio.sleep(fault.delay_seconds)
        elif fault.action == "expire":
            raise ApiError(410, _EXPIRED_MESSAGE, "Expired")
        elif fault.action == "drop":
            # Close the socket with no response: the client sees the connection end mid-request.
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        elif fault.action == "status":
            group = route.rtype.group
            scope = f'in the namespace "{route.namespace}"' if route.namespace else "at the cluster scope"
            messages = {
                403: f'{route.rtype.plural} is forbidden: User "ksbench" cannot {verb} resource "{route.rtype.plural}" '
                f'in API group "{group}" {scope}',
                404: f"the server could not find the requested resource (injected, {route.rtype.plural})",
            }
            message = messages.get(fault.status, f"injected fault: {fault.status} for {route.rtype.plural}")
            details = {"kind": route.rtype.plural, "group": group} if group else {"kind": route.rtype.plural}
            raise ApiError(fault.status, message, details=details)

    async def _hooks(self, request: BaseRequest) -> web.StreamResponse:
        path, method = request.path, request.method
        if path == "/_ksbench/stats":
            return _json(_dumps(self.store.stats()))
        if path == "/_ksbench/faults":
            if method == "DELETE":
                self.store.faults.clear()
            elif method in ("POST", "PUT"):
                data = json.loads(await request.content.read())
                faults = [Fault.from_json(item) for item in (data if isinstance(data, list) else [data])]
                if method == "PUT":
                    self.store.faults.clear()
                self.store.faults.extend(faults)
            return _json(_dumps([fault.to_json() for fault in self.store.faults]))
        if path == "/_ksbench/bulk" and method == "POST":
            data = json.loads(await request.content.read())
            items = data.get("items", []) if isinstance(data, dict) else data
            created, existing = self.store.bulk_create(items)
            return _json(_dumps({"created": created, "existing": existing}))
        raise ApiError(404, f"unknown ksbench hook {method} {path}")


def _existing(rtype: ResourceType, namespace: str, name: str) -> Entry:
    """The stored object, or the API's 404 Status."""
    entry = rtype.objects.get((namespace, name))
    if entry is None:
        raise ApiError(
            404, f'{rtype.plural} "{name}" not found', details={"name": name, "kind": rtype.plural}
        )
    return entry


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")


def _write_state(state_dir: Path, port: int) -> None:
    state = {"pid": os.getpid(), "port": port, "url": f"http://127.0.0.1:{port}", "started": time.time()}
    tmp = state_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state))
    tmp.replace(state_dir / STATE_FILE)


async def serve(port: int, state_dir: Path | None, store: Store) -> None:
    server = Server(store)
    low_level = web.Server(server.handle, access_log=None)
    loop = asyncio.get_running_loop()
    try:
        listener = await loop.create_server(low_level, "127.0.0.1", port, reuse_address=True, backlog=1024)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"ksbench embedded server: port {port} on 127.0.0.1 is in use", file=sys.stderr)
            raise SystemExit(4) from exc
        raise
    store.port = listener.sockets[0].getsockname()[1]
    if state_dir is not None:
        _write_state(state_dir, store.port)
    print(f"ksbench embedded server listening on http://127.0.0.1:{store.port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    listener.close()
    await low_level.shutdown(1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.clusters.embedded_server", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--state", type=Path, help="directory to write server.json (pid, port, url) into")
    parser.add_argument(
        "--forbid", action="append", default=[], metavar="RESOURCE_ID", help="answer LIST of it with 403"
    )
    parser.add_argument("--faults", type=Path, help="JSON list of faults to inject from the start")
    parser.add_argument(
        "--load", type=Path, action="append", default=[], help="List JSON files to load at start"
    )
    args = parser.parse_args(argv)
    store = Store()
    store.forbidden = set(args.forbid)
    if args.faults:
        store.faults = [Fault.from_json(item) for item in json.loads(args.faults.read_text())]
    for path in args.load:
        store.bulk_create(json.loads(path.read_bytes())["items"])
    try:
        asyncio.run(serve(args.port, args.state, store))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
