"""A live cluster through the official kubernetes client: discovery, then one paged LIST per resource.

The only scanner module that imports `kubernetes`. Responses are read as raw JSON
(`_preload_content=False`) and handed on as plain dicts: the client's generated model objects
would cost more than the scan itself. Each resource that cannot be listed becomes a
SourceProblem naming the kind, so the controls that need it are skipped, never passed.

Bounded like every source (scanner.sources.limits): the kubeconfig is checked before the client
reads it; each response is read in chunks against the scan's deadline, so a server that trickles
bytes ends at the deadline, and the kinds not read become problems; a response above page size ×
the per-object size and an object above the per-object size or depth are refused. Credentials
(URL user info, tokens, client keys) never appear in what this module says.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.decode import Budget, Meter, OverBudget, load_json
from scanner.sources import Page, Source, SourceProblem, SourceUnavailable
from scanner.sources.exec_plugin import PLUGIN_MAX_OUTPUT_BYTES, ExecPluginFailed, run_plugin
from scanner.sources.kubeconfig import KubeconfigError, check_kubeconfig, loaded_credentials
from scanner.sources.limits import DeadlineExceeded, ReadLimits, over_limits
from scanner.sources.scrub import Scrubber

try:
    import urllib3
    from kubernetes import config as k8s_config
    from kubernetes.client import rest as k8s_rest
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config import kube_config as k8s_kube_config
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.exec_provider import ExecProvider
except ImportError as exc:  # pragma: no cover - a dependency of the package
    raise SourceUnavailable(f"the kubernetes client is not installed: {exc}") from exc

DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT_SECONDS = 30.0
_CHUNK_BYTES = 256 * 1024
# One request per call: no connection, read, status or Retry-After retry (each would wait again
# outside --timeout); redirects as urllib3 follows them by default.
NO_RETRIES = urllib3.Retry(
    total=None, connect=0, read=0, status=0, other=0, redirect=3, respect_retry_after_header=False,
    raise_on_status=False,
)  # fmt: skip


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    name: str  # plural, as in the URL
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{prefix}/{self.name}"


class KubeSource(Source):
    """Lists the resource kinds `wanted` asks for: (api group or "*", version or "*", kind)."""

    def __init__(
        self,
        kubeconfig: str | None,
        context: str | None,
        wanted: Iterable[tuple[str, str, str]],
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        limits: ReadLimits | None = None,
    ) -> None:
        self.problems = []
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds
        self.limits = limits or ReadLimits()
        self.pages_read = 0
        self.scrub, self._api = open_client(kubeconfig, context, self.limits, timeout_seconds)
        host = self._api.configuration.host
        self.scrub = self.scrub.with_url(host)
        self.description = self.scrub(f"cluster at {host}" + (f" (context {context})" if context else ""))
        try:
            self.resources = self._discover(list(wanted))
        except DeadlineExceeded as exc:
            raise SourceUnavailable(f"{self.description}: discovery not finished: {exc}") from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceUnavailable(
                self.scrub(f"{self.description}: discovery answered an unexpected document: {_describe(exc)}")
            ) from exc

    def _request_timeout(self) -> tuple[float, float]:
        self.limits.deadline.check()
        left = self.limits.deadline.remaining_seconds()
        seconds = self.timeout_seconds if left is None else max(0.001, min(self.timeout_seconds, left))
        return seconds, seconds

    def _get(self, path: str, query: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
        api = self._api
        # kubernetes >= 37 (the floor in pyproject.toml): serialise, then call; errors are ours to raise
        method, url, header_params, body, post_params = api.param_serialize(
            "GET",
            path,
            query_params=query or [],
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = api.call_api(
                method, url, header_params, body, post_params, _request_timeout=self._request_timeout()
            )
        except ExecPluginFailed as exc:  # the client ran the plugin again to refresh an expired token
            raise ValueError(str(exc)) from None
        data = self._read_body(response.response, path)
        if not 200 <= response.status < 300:
            error = ApiException(status=response.status, reason=response.reason)
            error.body = data.decode("utf-8", "replace")
            raise error
        try:
            parsed = load_json(data, Meter(self.limits.budget()))
        except OverBudget as exc:
            raise ValueError(
                f"{path}: the response {exc}; a smaller --page-size sends fewer objects per response"
            ) from exc
        if not isinstance(parsed, dict):
            raise ValueError(f"{path}: the response is a JSON {type(parsed).__name__}, not an object")
        return parsed

    def _read_body(self, raw: Any, path: str) -> bytes:
        """The response body in chunks, checking the deadline between them and bounding its size."""
        limit = max(self.page_size, 1) * self.limits.max_object_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                self.limits.deadline.check()
                chunk = raw.read1(_CHUNK_BYTES) if hasattr(raw, "read1") else raw.read(_CHUNK_BYTES)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise ValueError(
                        f"{path}: response larger than {limit:,} bytes (--page-size × --max-object-bytes)"
                    )
                chunks.append(chunk)
        except BaseException:
            raw.close()  # a half-read connection must not go back to the pool
            raise
        raw.release_conn()
        return b"".join(chunks)

    def _discover(self, wanted: list[tuple[str, str, str]]) -> list[ApiResource]:
        """The preferred version of each wanted kind (one object served twice is listed once)."""
        try:
            core_versions = self._get("/api").get("versions") or ["v1"]
            groups = self._get("/apis").get("groups") or []
        except (ApiException, urllib3.exceptions.HTTPError, OSError, ValueError, RecursionError) as exc:
            raise SourceUnavailable(
                self.scrub(f"{self.description}: discovery failed: {_describe(exc)}")
            ) from exc
        group_versions: list[tuple[str, str, bool]] = [("", v, True) for v in core_versions]
        for group in groups:
            preferred = (group.get("preferredVersion") or {}).get("version")
            for version in group.get("versions") or []:
                group_versions.append((group["name"], version["version"], version["version"] == preferred))
        wanted_kinds = {kind for _, _, kind in wanted}
        found: dict[tuple[str, str], ApiResource] = {}
        for group, version, preferred in group_versions:
            if not any(_accepts(g, group) and _accepts(v, version) for g, v, _ in wanted):
                continue
            if not preferred and any(g == "*" or v == "*" for g, v, _ in wanted):
                continue  # wildcard versions: the preferred one only, so nothing is counted twice
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                listed = self._get(path).get("resources") or []
            except (ApiException, urllib3.exceptions.HTTPError, OSError, ValueError, RecursionError) as exc:
                reason = self.scrub(f"discovery failed: {_describe(exc)}")
                self.problems.append(SourceProblem(path, reason, None, group))
                continue
            for item in listed:
                if (
                    "/" in item["name"]
                    or item["kind"] not in wanted_kinds
                    or "list" not in item.get("verbs", [])
                ):
                    continue
                if not any(
                    _accepts(g, group) and _accepts(v, version) and k == item["kind"] for g, v, k in wanted
                ):
                    continue
                found.setdefault(
                    (group, item["kind"]),
                    ApiResource(group, version, item["name"], item["kind"], item["namespaced"]),
                )
        return [found[key] for key in sorted(found)]

    def pages(self) -> Iterator[Page]:
        for resource in self.resources:
            if self.limits.deadline.expired:
                self._problem(resource, f"not read: --deadline of {self.limits.deadline.seconds:g} s passed")
                continue
            yield from self._list(resource)

    def _list(self, resource: ApiResource, restarted: bool = False) -> Iterator[Page]:
        token: str | None = None
        tokens_seen: set[str] = set()
        listed = 0
        attempt = " of the re-list after HTTP 410" if restarted else ""
        for page_number in itertools.count(1):
            query: list[tuple[str, Any]] = [("limit", self.page_size)]
            if token:
                query.append(("continue", token))
            try:
                body = self._get(resource.path, query)
            except ApiException as exc:
                if exc.status == 410 and token and not restarted:
                    # The continue token expired: list again from the start. The inventory drops the
                    # copies it already has and names a copy that changed since (a conflict).
                    yield from self._list(resource, restarted=True)
                    return
                self._problem(resource, _describe(exc))
                return
            except DeadlineExceeded as exc:
                self._problem(resource, f"not read to the end: {exc}")
                return
            except (urllib3.exceptions.HTTPError, OSError, ValueError, RecursionError) as exc:
                self._problem(resource, _describe(exc))
                return
            self.pages_read += 1
            items = body.get("items") or []
            if not isinstance(items, list):
                self._problem(resource, f"the response's items is a {type(items).__name__}, not a list")
                return
            listed += len(items)
            if listed > self.limits.max_objects_per_kind:
                self._problem(
                    resource,
                    f"not read to the end: more than {self.limits.max_objects_per_kind:,} objects "
                    "(--max-objects-per-kind)",
                )
                return
            kept = [item for item in items if self._within_limits(resource, item)]
            for item in kept:  # LIST items carry no kind/apiVersion of their own
                item["kind"] = resource.kind
                item["apiVersion"] = resource.api_version
            if kept:  # named, so that a copy of an object on another page (or attempt) can be named with it
                with self.limits.deadline.paused():  # the scan's time with the page is not reading
                    yield Page(tuple(kept), f"LIST {resource.path} page {page_number}{attempt}")
            metadata = body.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return
            if not isinstance(token, str) or token in tokens_seen:
                self._problem(
                    resource, "not read to the end: the server sent a continue token it had sent before"
                )
                return
            tokens_seen.add(token)

    def _within_limits(self, resource: ApiResource, item: Any) -> bool:
        if not isinstance(item, dict):
            self._problem(resource, f"an item is a {type(item).__name__}, not an object")
            return False
        why = over_limits(item, self.limits.max_object_bytes, self.limits.max_depth)
        if why:
            name = (
                (item.get("metadata") or {}).get("name") if isinstance(item.get("metadata"), dict) else None
            )
            self._problem(
                resource, f"{resource.kind} {name} not read: {why} (--max-object-bytes, nesting limit)"
            )
        return why is None

    def _problem(self, resource: ApiResource, reason: str) -> None:
        self.problems.append(
            SourceProblem(
                resource.path,
                self.scrub(f"LIST {resource.kind} failed: {reason}"),
                resource.kind,
                resource.group,
            )
        )


class _BoundedExecProvider(ExecProvider):
    """The client's exec provider, run by scanner.sources.exec_plugin: within the time left, output
    bounded, nothing it prints in a message, and what it yields kept for scrubbing."""

    limits: ReadLimits = ReadLimits()
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    secrets: list[str] = []  # noqa: RUF012 - one list per client, set by open_client

    def run(self, previous_response: Any = None) -> dict[str, Any]:
        info: dict[str, Any] = {"apiVersion": self.api_version, "kind": "ExecCredential"}
        info["spec"] = {"interactive": False}  # the plugin never gets the terminal: it could wait there
        if self.cluster:
            info["spec"]["cluster"] = self.cluster.value
        self.env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
        left = self.limits.deadline.remaining_seconds()
        seconds = self.timeout_seconds if left is None else min(self.timeout_seconds, left)
        output = run_plugin(list(map(str, self.args)), self.env, self.cwd, seconds)
        name = Path(str(self.args[0])).name
        try:
            data = load_json(output, Meter(Budget.for_bytes(PLUGIN_MAX_OUTPUT_BYTES)))
        except (ValueError, RecursionError, OverBudget):
            raise ExecPluginFailed(
                f"the exec credential plugin {name} printed no ExecCredential JSON"
            ) from None
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, dict) or data.get("apiVersion") != self.api_version:
            raise ExecPluginFailed(
                f"the exec credential plugin {name} printed no ExecCredential of {self.api_version} with a status"
            )
        self.secrets.extend(
            str(status.get(field)) for field in ("token", "clientKeyData") if status.get(field)
        )
        return status


def _provider_for(limits: ReadLimits, timeout_seconds: float, secrets: list[str]) -> type[ExecProvider]:
    return type(
        "BoundedExecProvider",
        (_BoundedExecProvider,),
        {"limits": limits, "timeout_seconds": timeout_seconds, "secrets": secrets},
    )


def open_client(
    kubeconfig: str | None,
    context: str | None,
    limits: ReadLimits,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> tuple[Scrubber, Any]:
    """The kubeconfig checked, then the client built from it (no request yet); SourceUnavailable if not.

    An exec credential plugin runs within --timeout and the deadline (scanner.sources.exec_plugin);
    every credential the client ends up with (token, token file, plugin output) is scrubbed."""
    try:
        scrub = check_kubeconfig(kubeconfig, limits)
    except KubeconfigError as exc:
        raise SourceUnavailable(str(exc)) from exc
    name = kubeconfig or "(default)"
    secrets: list[str] = []
    # The client looks the provider up by this name each time it runs a plugin (again on expiry).
    k8s_kube_config.ExecProvider = _provider_for(limits, timeout_seconds, secrets)  # type: ignore[attr-defined]
    try:
        api = k8s_config.new_client_from_config(config_file=kubeconfig, context=context)  # type: ignore[no-untyped-call]
    except ExecPluginFailed as exc:
        raise SourceUnavailable(scrub.with_secrets(*secrets)(f"kubeconfig {name}: {exc}")) from None
    except ConfigException as exc:
        raise SourceUnavailable(scrub(f"kubeconfig {name}: {exc}")) from exc
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # The client reads shapes it does not expect with plain indexing: name the file, not its code.
        raise SourceUnavailable(
            scrub(f"kubeconfig {name}: not a usable kubeconfig: {_describe(exc)}")
        ) from exc
    bearer = str(api.configuration.api_key.get("BearerToken") or "")
    scrub = scrub.with_secrets(*secrets, bearer, bearer.removeprefix("Bearer ").strip())
    # The deadline owns every wait: urllib3 would otherwise send a timed-out request again, and
    # sleep as long as a server's Retry-After asks. Redirects are followed as before.
    api.configuration.retries = NO_RETRIES
    api.configuration.client_go_retries = False
    api.rest_client = k8s_rest.RESTClientObject(api.configuration)
    # The credentials the client loaded (a tokenFile's, a plugin's, refreshed when they expire).
    configuration = api.configuration
    return scrub.with_live(lambda: loaded_credentials(configuration)), api


def _accepts(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        message = ""
        with contextlib.suppress(ValueError, AttributeError):
            message = json.loads(exc.body or "{}").get("message", "")
        return f"HTTP {exc.status} {exc.reason}" + (f": {message}" if message else "")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return f"connection failed: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"
