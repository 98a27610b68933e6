"""The cluster source in this process, against real servers: the embedded API server and a scripted
one, through the real kubernetes client over HTTP. Discovery, paging, expired continue tokens,
failures per kind, time and size bounds, and credentials kept out of every message."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kube_servers import (
    PASSWORD,
    TOKEN,
    EmbeddedCluster,
    Reply,
    ScriptedServer,
    embedded_cluster,
    reply,
    scripted_server,
    write_kubeconfig,
)
from kubernetes.client.exceptions import ApiException

from harness.clusters.embedded_server import Fault
from scanner.sources import SourceProblem, SourceUnavailable
from scanner.sources.kube import ApiResource, KubeSource, _accepts, _describe, open_client
from scanner.sources.limits import Deadline, ReadLimits

WIDGETS = "ksbench.example.com"
CONFIGMAP = ApiResource("", "v1", "configmaps", "ConfigMap", True)
EXPIRED = "HTTP 410 Gone: The provided continue parameter is too old to display a consistent list result."


def _crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{WIDGETS}"},
        "spec": {
            "group": WIDGETS,
            "names": {"plural": "widgets", "kind": "Widget"},
            "scope": "Namespaced",
            "versions": [{"name": "v1beta1", "served": True}, {"name": "v1", "served": True}],
        },
    }


@pytest.fixture(scope="module")
def running_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """Namespace shop with five ConfigMaps c0..c4, a Pod, a Deployment and a Widget (v1 and v1beta1).

    One per module: the server waits a second for connections that saw an error status before it stops.
    """
    with embedded_cluster(tmp_path_factory.mktemp("embedded")) as running:
        running.add(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            *(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}", "namespace": "shop"}}
                for i in range(5)
            ),
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"}},
            _crd(),
            {"apiVersion": f"{WIDGETS}/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"}},
        )
        yield running


@pytest.fixture
def cluster(running_cluster: EmbeddedCluster) -> Iterator[EmbeddedCluster]:
    """The module's cluster, its faults and forbidden kinds cleared after each test."""
    yield running_cluster
    running_cluster.store.faults.clear()
    running_cluster.store.forbidden.clear()


def source(
    config: Path, wanted: list[tuple[str, str, str]], context: str | None = None, **options: Any
) -> KubeSource:
    return KubeSource(str(config), context, wanted, **options)


def read(src: KubeSource) -> list[list[str]]:
    """Each page as `Kind apiVersion name` strings."""
    return [
        [f"{o['kind']} {o['apiVersion']} {o['metadata']['name']}" for o in page.objects]
        for page in src.pages()
    ]


def names(pages: list[list[str]]) -> list[list[str]]:
    return [[entry.rsplit(" ", 1)[1] for entry in page] for page in pages]


# -- values and helpers ---------------------------------------------------------------------------


def test_api_resource_paths_and_api_versions() -> None:
    core = ApiResource("", "v1", "pods", "Pod", True)
    named = ApiResource("apps", "v1", "deployments", "Deployment", True)
    assert (core.path, core.api_version) == ("/api/v1/pods", "v1")
    assert (named.path, named.api_version) == ("/apis/apps/v1/deployments", "apps/v1")


def test_accepts_a_star_or_the_exact_value() -> None:
    assert _accepts("*", "apps") and _accepts("*", "")
    assert _accepts("apps", "apps") and _accepts("", "")
    assert not _accepts("apps", "") and not _accepts("", "apps") and not _accepts("app", "apps")


def test_describe_names_the_status_and_the_servers_message() -> None:
    error = ApiException(status=403, reason="Forbidden")
    error.body = json.dumps({"message": "pods is forbidden"})
    assert _describe(error) == "HTTP 403 Forbidden: pods is forbidden"
    for body in ("not json", json.dumps(["a list"]), None, json.dumps({"code": 403})):
        error.body = body
        assert _describe(error) == "HTTP 403 Forbidden"


def test_describe_a_connection_failure_by_its_reason() -> None:
    refused = urllib3.exceptions.MaxRetryError(None, "/api", ConnectionRefusedError("refused"))  # type: ignore[arg-type]
    assert _describe(refused) == "connection failed: refused"
    no_reason = urllib3.exceptions.MaxRetryError(None, "/api", None)  # type: ignore[arg-type]
    assert _describe(no_reason) == "MaxRetryError: None: Max retries exceeded with url: /api (Caused by None)"
    assert _describe(ValueError("bad")) == "ValueError: bad"


# -- discovery ------------------------------------------------------------------------------------


def test_discovery_lists_the_preferred_version_of_each_wanted_kind_in_group_then_kind_order(
    cluster: EmbeddedCluster,
) -> None:
    wanted = [("*", "*", "Widget"), ("", "v1", "ConfigMap"), ("apps", "*", "Deployment"), ("*", "*", "Pod")]
    src = source(cluster.kubeconfig(), wanted)
    assert src.resources == [
        CONFIGMAP,
        ApiResource("", "v1", "pods", "Pod", True),
        ApiResource("apps", "v1", "deployments", "Deployment", True),
        ApiResource(WIDGETS, "v1", "widgets", "Widget", True),
    ]
    assert src.problems == [] and src.pages_read == 0
    pages = read(src)
    assert pages == [
        [f"ConfigMap v1 c{i}" for i in range(5)],
        ["Pod v1 p"],
        ["Deployment apps/v1 d"],
        [f"Widget {WIDGETS}/v1 w"],
    ]
    assert src.pages_read == 4


def test_a_version_asked_for_by_name_is_listed_even_when_not_preferred(cluster: EmbeddedCluster) -> None:
    src = source(cluster.kubeconfig(), [(WIDGETS, "v1beta1", "Widget")])
    assert src.resources == [ApiResource(WIDGETS, "v1beta1", "widgets", "Widget", True)]
    assert read(src) == [[f"Widget {WIDGETS}/v1beta1 w"]]


def test_a_kind_served_under_two_wanted_versions_is_listed_once_under_the_first(
    cluster: EmbeddedCluster,
) -> None:
    wanted = [(WIDGETS, "v1beta1", "Widget"), (WIDGETS, "v1", "Widget")]
    src = source(cluster.kubeconfig(), wanted)
    assert src.resources == [ApiResource(WIDGETS, "v1", "widgets", "Widget", True)]
    assert read(src) == [[f"Widget {WIDGETS}/v1 w"]]


def test_a_kind_is_listed_only_where_its_own_pattern_accepts_group_and_version(
    cluster: EmbeddedCluster,
) -> None:
    # core/v1 is discovered for the Namespace; ConfigMap, also served there, is asked for elsewhere.
    wanted = [("", "v1", "Namespace"), ("apps", "v1", "ConfigMap"), ("", "v2", "Secret"), ("", "v1", "Nope")]
    src = source(cluster.kubeconfig(), wanted)
    assert src.resources == [ApiResource("", "v1", "namespaces", "Namespace", False)]
    assert src.problems == []


def _discovery(groups: list[dict[str, Any]], **lists: list[dict[str, Any]]) -> dict[str, Reply]:
    """A scripted cluster: core v1 plus `groups`; `lists` maps a discovery path to its resources."""
    replies = {"/api": reply({"versions": ["v1"]}), "/apis": reply({"groups": groups})}
    for path, resources in lists.items():
        replies[path] = reply({"resources": resources})
    return replies


def _group(name: str, *versions: str, preferred: str | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"name": name, "versions": [{"version": v} for v in versions]}
    if preferred:
        group["preferredVersion"] = {"version": preferred}
    return group


def _res(name: str, kind: str, verbs: list[str] | None = None, namespaced: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "kind": kind, "namespaced": namespaced}
    if verbs is not None:
        entry["verbs"] = verbs
    return entry


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        yield server


def test_discovery_asks_only_for_the_group_versions_wanted(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(
        _discovery(
            [_group("g.example", "v1", "v2", preferred="v2"), _group("other.example", "v1", preferred="v1")],
            **{
                "/api/v1": [_res("pods", "Pod", ["list"])],
                "/apis/g.example/v1": [_res("things", "Thing", ["get", "list"])],
                "/apis/g.example/v2": [_res("things", "Thing", ["list"]), _res("bits", "Bit", ["list"])],
            },
        )
    )
    config = write_kubeconfig(tmp_path / "config", scripted.url)
    src = source(config, [("g.example", "*", "Thing")])
    assert src.resources == [ApiResource("g.example", "v2", "things", "Thing", True)]
    assert scripted.paths == ["/api", "/apis", "/apis/g.example/v2"]
    scripted.requests.clear()
    src = source(config, [("*", "v1", "Thing"), ("", "v1", "Pod")])
    # v1 of g.example is not its preferred version: with a wildcard asked for, it is not read.
    assert src.resources == [ApiResource("", "v1", "pods", "Pod", True)]
    assert scripted.paths == ["/api", "/apis", "/api/v1", "/apis/other.example/v1"]
    scripted.requests.clear()
    src = source(config, [("g.example", "v1", "Thing")])
    assert src.resources == [ApiResource("g.example", "v1", "things", "Thing", True)]
    assert scripted.paths == ["/api", "/apis", "/apis/g.example/v1"]
    assert src.problems == []


def test_discovery_skips_subresources_kinds_without_list_and_tolerates_missing_fields(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(
        {
            "/api": reply({}),  # no versions: core v1 is assumed
            "/apis": reply({"groups": [{"name": "bare.example"}, _group("nopref.example", "v1")]}),
            "/api/v1": reply(
                {
                    "resources": [
                        _res("pods/status", "Pod", ["get", "list"]),
                        _res("pods", "Pod", ["get", "list"]),
                        _res("secrets", "Secret", ["get"]),
                        _res("configmaps", "ConfigMap"),
                        _res("nodes", "Node", ["list"], namespaced=False),
                    ]
                }
            ),
            "/apis/nopref.example/v1": reply({}),
        }
    )
    config = write_kubeconfig(tmp_path / "config", scripted.url)
    wanted = [("", "v1", kind) for kind in ("Pod", "Secret", "ConfigMap", "Node")]
    src = source(config, [*wanted, ("nopref.example", "v1", "Thing")])
    assert src.resources == [
        ApiResource("", "v1", "nodes", "Node", False),
        ApiResource("", "v1", "pods", "Pod", True),
    ]
    assert scripted.paths == ["/api", "/apis", "/api/v1", "/apis/nopref.example/v1"]
    assert src.problems == []


def test_a_group_whose_discovery_fails_is_a_problem_and_the_others_are_read(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(
        _discovery(
            [_group("a.example", "v1", preferred="v1"), _group("b.example", "v1", preferred="v1")],
            **{"/apis/b.example/v1": [_res("things", "Thing", ["list"])]},
        )
    )
    scripted.replies["/apis/a.example/v1"] = reply({"message": f"no {TOKEN}"}, 503)
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("*", "*", "Thing")])
    assert src.resources == [ApiResource("b.example", "v1", "things", "Thing", True)]
    assert src.problems == [
        SourceProblem("/api/v1", "discovery failed: HTTP 404 Not Found: no script for /api/v1", None, ""),
        SourceProblem(
            "/apis/a.example/v1", "discovery failed: HTTP 503 Service Unavailable: no ***", None, "a.example"
        ),
    ]


def test_discovery_that_fails_makes_the_cluster_unavailable_with_a_scrubbed_reason(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies["/api"] = reply({"message": f"bad token {TOKEN} for alice:{PASSWORD}"}, 500)
    server = scripted.url.replace("http://", f"http://alice:{PASSWORD}@")
    config = write_kubeconfig(tmp_path / "config", server)
    with pytest.raises(SourceUnavailable) as caught:
        source(config, [("", "v1", "Pod")], context="x")
    where = scripted.url.replace("http://", "http://***@")
    assert str(caught.value) == (
        f"cluster at {where} (context x): discovery failed: HTTP 500 Internal Server Error: bad token *** for alice:***"
    )


def test_discovery_of_an_unexpected_document_is_unavailable_not_a_traceback(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    config = write_kubeconfig(tmp_path / "config", scripted.url)
    scripted.replies.update(_discovery([{"versions": [{"version": "v1"}]}]))
    with pytest.raises(SourceUnavailable) as caught:
        source(config, [("*", "*", "Pod")])
    assert (
        str(caught.value)
        == f"cluster at {scripted.url}: discovery answered an unexpected document: KeyError: 'name'"
    )
    scripted.replies["/apis"] = reply({"groups": []})
    scripted.replies["/api/v1"] = reply({"resources": [{"name": 5, "kind": "Pod"}]})
    with pytest.raises(SourceUnavailable, match="unexpected document: TypeError: argument of type 'int'"):
        source(config, [("*", "*", "Pod")])
    scripted.replies["/apis"] = reply({"groups": ["g"]})
    with pytest.raises(SourceUnavailable, match="unexpected document: AttributeError: 'str' object"):
        source(config, [("*", "*", "Pod")])


def test_a_discovery_document_that_is_not_an_object_is_unavailable(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies["/api"] = reply(["v1"])
    with pytest.raises(SourceUnavailable) as caught:
        source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")])
    assert str(caught.value) == (
        f"cluster at {scripted.url}: discovery failed: ValueError: /api: the response is a JSON list, not an object"
    )


def test_an_unreachable_cluster_is_unavailable(tmp_path: Path) -> None:
    with scripted_server() as gone:
        url = gone.url
    with pytest.raises(SourceUnavailable) as caught:
        source(write_kubeconfig(tmp_path / "config", url), [("", "v1", "Pod")])
    assert str(caught.value).startswith(f"cluster at {url}: discovery failed: connection failed: ")
    assert "Connection refused" in str(caught.value)


def test_discovery_after_the_deadline_is_unavailable(scripted: ScriptedServer, tmp_path: Path) -> None:
    limits = ReadLimits(deadline=Deadline(0))
    with pytest.raises(SourceUnavailable) as caught:
        source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], limits=limits)
    assert str(caught.value) == (
        f"cluster at {scripted.url}: discovery not finished: --deadline of 0 s passed before reading finished"
    )
    assert scripted.requests == []


def test_requests_carry_the_token_and_ask_for_json(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    scripted.replies["/api/v1/pods"] = reply({"items": [{"metadata": {"name": "p"}}]})
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=7)
    assert read(src) == [["Pod v1 p"]]
    assert scripted.paths[-1] == "/api/v1/pods?limit=7"
    for _, headers in scripted.requests:
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["accept"] == "application/json"


# -- paged LIST -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_size", "pages"),
    [
        (2, [["c0", "c1"], ["c2", "c3"], ["c4"]]),
        (4, [["c0", "c1", "c2", "c3"], ["c4"]]),
        (5, [["c0", "c1", "c2", "c3", "c4"]]),
        (6, [["c0", "c1", "c2", "c3", "c4"]]),
    ],
)
def test_a_list_is_read_page_by_page_each_object_once(
    cluster: EmbeddedCluster, page_size: int, pages: list[list[str]]
) -> None:
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap")], page_size=page_size)
    assert src.page_size == page_size
    assert names(read(src)) == pages
    assert src.pages_read == len(pages) and src.problems == []


def test_the_continue_token_is_sent_back_and_an_empty_page_yields_nothing(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    scripted.replies["/api/v1/pods?limit=2"] = reply({"items": [], "metadata": {"continue": "tok1"}})
    scripted.replies["/api/v1/pods?limit=2&continue=tok1"] = reply(
        {"items": [{"metadata": {"name": "a"}}], "metadata": {"continue": "tok2"}}
    )
    scripted.replies["/api/v1/pods?limit=2&continue=tok2"] = reply({"items": [{"metadata": {"name": "b"}}]})
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=2)
    assert read(src) == [["Pod v1 a"], ["Pod v1 b"]]
    assert src.pages_read == 3 and src.problems == []
    assert scripted.paths[-3:] == [
        "/api/v1/pods?limit=2",
        "/api/v1/pods?limit=2&continue=tok1",
        "/api/v1/pods?limit=2&continue=tok2",
    ]


def test_the_scan_s_time_with_a_page_does_not_use_up_the_reading_deadline(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    scripted.replies["/api/v1/pods?limit=1"] = reply(
        {"items": [{"metadata": {"name": "a"}}], "metadata": {"continue": "t"}}
    )
    scripted.replies["/api/v1/pods?limit=1&continue=t"] = reply({"items": [{"metadata": {"name": "b"}}]})
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=1)
    src.limits = ReadLimits(deadline=Deadline(1.0))
    pages = []
    for page in src.pages():  # streaming evaluates each page for longer than the whole deadline
        pages.append([o["metadata"]["name"] for o in page.objects])
        time.sleep(1.2)
    assert pages == [["a"], ["b"]] and src.problems == []
    assert src.limits.deadline.paused_seconds >= 2.4


def test_an_expired_continue_token_restarts_that_list_once(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "expire", on="continue", times=1))
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap"), ("", "v1", "Pod")], page_size=2)
    # The first page comes again from the restart (objects.py drops the duplicates); none is lost.
    assert names(read(src)) == [["c0", "c1"], ["c0", "c1"], ["c2", "c3"], ["c4"], ["p"]]
    assert src.pages_read == 5 and src.problems == []


def test_a_token_that_expires_again_after_the_restart_is_a_problem(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "expire", on="continue", times=2))
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap"), ("", "v1", "Pod")], page_size=2)
    assert names(read(src)) == [["c0", "c1"], ["c0", "c1"], ["p"]]
    assert src.pages_read == 3
    [problem] = src.problems
    assert (problem.where, problem.kind, problem.api_group) == ("/api/v1/configmaps", "ConfigMap", "")
    assert problem.reason.startswith(f"LIST ConfigMap failed: {EXPIRED}")


def test_a_410_on_the_first_page_is_a_problem_not_a_restart(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "expire", on="first", times=1))
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap")], page_size=2)
    assert read(src) == [] and src.pages_read == 0
    [problem] = src.problems
    assert problem.reason.startswith(f"LIST ConfigMap failed: {EXPIRED}")


def test_a_connection_dropped_mid_list_is_a_problem_after_the_pages_read(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "drop", on="continue"))
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap"), ("", "v1", "Pod")], page_size=2)
    assert names(read(src)) == [["c0", "c1"], ["p"]]
    assert src.pages_read == 2
    [problem] = src.problems
    assert problem.where == "/api/v1/configmaps" and problem.kind == "ConfigMap"
    assert problem.reason.startswith("LIST ConfigMap failed: connection failed: ('Connection aborted.'")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, 'HTTP 403 Forbidden: deployments is forbidden: User "ksbench" cannot list resource "deployments" '
         'in API group "apps" at the cluster scope'),
        (404, "HTTP 404 Not Found: the server could not find the requested resource (injected, deployments)"),
        (500, "HTTP 500 Internal Server Error: injected fault: 500 for deployments"),
    ],
)  # fmt: skip
def test_a_failing_list_is_a_problem_naming_its_kind_and_the_others_are_read(
    cluster: EmbeddedCluster, status: int, message: str
) -> None:
    cluster.store.faults.append(Fault("deployments", "status", status=status))
    wanted = [("", "v1", "Pod"), ("apps", "v1", "Deployment"), (WIDGETS, "v1", "Widget")]
    src = source(cluster.kubeconfig(), wanted)
    assert names(read(src)) == [["p"], ["w"]]
    assert src.problems == [
        SourceProblem("/apis/apps/v1/deployments", f"LIST Deployment failed: {message}", "Deployment", "apps")
    ]


def test_a_forbidden_core_kind_is_a_problem_in_the_core_group(cluster: EmbeddedCluster) -> None:
    cluster.store.forbidden.add("configmaps")
    src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap"), ("", "v1", "Pod")])
    assert names(read(src)) == [["p"]]
    assert src.problems == [
        SourceProblem(
            "/api/v1/configmaps",
            'LIST ConfigMap failed: HTTP 403 Forbidden: configmaps is forbidden: User "ksbench" cannot list '
            'resource "configmaps" in API group "" at the cluster scope',
            "ConfigMap",
            "",
        )
    ]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (299, b'{"items": [{"metadata": {"name": "a"}}]}', None),
        (300, b'{"items": [{"metadata": {"name": "a"}}]}', "HTTP 300 Multiple Choices"),
        (500, b"<html>oops</html>", "HTTP 500 Internal Server Error"),
        (500, b'{"message": "bad \xff byte"}', "HTTP 500 Internal Server Error: bad \ufffd byte"),
        (200, b"[1, 2]", "ValueError: /api/v1/pods: the response is a JSON list, not an object"),
        (200, b"{not json", "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (200, b'{"items": {"a": 1}}', "the response's items is a dict, not a list"),
        (200, b'{"items": null, "metadata": {"continue": ""}}', None),
        (200, b'{"items": [{"metadata": {"name": "a"}}], "metadata": ["continue"]}', None),
    ],
)  # fmt: skip
def test_what_a_list_answer_is_taken_for(
    scripted: ScriptedServer, tmp_path: Path, status: int, body: bytes, reason: str | None
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    scripted.replies["/api/v1/pods"] = Reply(status, body)
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")])
    pages = read(src)
    if reason is None:
        assert src.problems == [] and src.pages_read == 1
        assert pages == ([["Pod v1 a"]] if b'"a"' in body else [])
    else:
        assert pages == [] and src.problems == [
            SourceProblem("/api/v1/pods", f"LIST Pod failed: {reason}", "Pod", "")
        ]


# -- bounds: time, size, nesting ------------------------------------------------------------------


def test_a_read_timeout_ends_a_list_that_does_not_answer(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "delay", delay_seconds=1.5))
    assert source(cluster.kubeconfig(), [], timeout_seconds=7).timeout_seconds == 7
    for deadline in (Deadline(None), Deadline(600)):
        src = source(cluster.kubeconfig(), [("", "v1", "ConfigMap")], limits=ReadLimits(deadline=deadline))
        assert src.timeout_seconds == 30.0
        src.timeout_seconds = 0.25  # from here on: discovery on a loaded machine may take longer
        assert read(src) == []
        [problem] = src.problems
        assert problem.kind == "ConfigMap"
        assert problem.reason.startswith("LIST ConfigMap failed: connection failed: ")
        assert "Read timed out. (read timeout=0.25)" in problem.reason


def test_a_request_waits_no_longer_than_the_deadline_left(cluster: EmbeddedCluster) -> None:
    cluster.store.faults.append(Fault("configmaps", "delay", delay_seconds=3.0))
    wanted = [("", "v1", "ConfigMap"), ("", "v1", "Pod"), ("", "v1", "Secret")]
    src = source(cluster.kubeconfig(), wanted)
    # Margins for a loaded machine: started after discovery, however long that took; the delay is
    # three times the deadline, so the first LIST is always the one the deadline cuts.
    src.limits = ReadLimits(deadline=Deadline(1.0))
    assert read(src) == []
    assert [p.kind for p in src.problems] == ["ConfigMap", "Pod", "Secret"]
    timed_out = re.search(r"Read timed out\. \(read timeout=([0-9.]+)\)", src.problems[0].reason)
    assert timed_out and 0 < float(timed_out[1]) <= 1.0
    assert [p.reason for p in src.problems[1:]] == [
        "LIST Pod failed: not read: --deadline of 1 s passed",
        "LIST Secret failed: not read: --deadline of 1 s passed",
    ]


def test_a_trickling_list_ends_at_the_deadline_and_the_kinds_after_it_are_not_read(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    kinds = [
        _res("configmaps", "ConfigMap", ["list"]),
        _res("pods", "Pod", ["list"]),
        _res("secrets", "Secret", ["list"]),
    ]
    scripted.replies.update(_discovery([], **{"/api/v1": kinds}))
    scripted.replies["/api/v1/configmaps"] = Reply(200, b'{"items": [', trickle=True)
    config = write_kubeconfig(tmp_path / "config", scripted.url)
    assert source(config, [("*", "*", "*")]).resources == []  # "*" is no kind
    src = source(config, [("", "v1", "ConfigMap"), ("", "v1", "Pod"), ("", "v1", "Secret")])
    src.limits = ReadLimits(deadline=Deadline(1.5))  # started after discovery, however long that took
    assert read(src) == [] and src.pages_read == 0
    assert src.problems == [
        SourceProblem(
            "/api/v1/configmaps",
            "LIST ConfigMap failed: not read to the end: --deadline of 1.5 s passed before reading finished",
            "ConfigMap",
            "",
        ),
        SourceProblem("/api/v1/pods", "LIST Pod failed: not read: --deadline of 1.5 s passed", "Pod", ""),
        SourceProblem(
            "/api/v1/secrets", "LIST Secret failed: not read: --deadline of 1.5 s passed", "Secret", ""
        ),
    ]


def _pods_answer(size: int, names_: tuple[str, ...] = ("a",)) -> bytes:
    """A LIST answer of exactly `size` bytes (padded with spaces), its items the named pods."""
    body = json.dumps({"items": [{"metadata": {"name": n}} for n in names_]}).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


@pytest.mark.parametrize(("page_size", "limit"), [(0, 1100), (1, 1100), (2, 2200)])
def test_a_response_is_refused_above_page_size_times_object_size(
    scripted: ScriptedServer, tmp_path: Path, page_size: int, limit: int
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    config = write_kubeconfig(tmp_path / "config", scripted.url)
    limits = ReadLimits(max_object_bytes=1100)
    scripted.replies["/api/v1/pods"] = Reply(200, _pods_answer(limit))
    src = source(config, [("", "v1", "Pod")], page_size=page_size, limits=limits)
    assert src.limits is limits
    assert read(src) == [["Pod v1 a"]] and src.problems == []
    scripted.replies["/api/v1/pods"] = Reply(200, _pods_answer(limit + 1))
    src = source(config, [("", "v1", "Pod")], page_size=page_size, limits=limits)
    assert read(src) == [] and src.pages_read == 0
    assert src.problems == [
        SourceProblem(
            "/api/v1/pods",
            f"LIST Pod failed: ValueError: /api/v1/pods: response larger than {limit:,} bytes "
            "(--page-size × --max-object-bytes)",
            "Pod",
            "",
        )
    ]


def test_the_default_limits_take_a_large_page(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    many = tuple(f"pod-{i:06d}" for i in range(20000))  # about 700 KB: several chunks of the body
    scripted.replies["/api/v1/pods"] = reply({"items": [{"metadata": {"name": n}} for n in many]})
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=1)
    assert src.limits.max_object_bytes == 3 * 1024 * 1024 // 2
    [page] = read(src)
    assert len(page) == 20000 and page[-1] == "Pod v1 pod-019999" and src.problems == []


def test_objects_above_the_size_or_depth_limit_are_problems_and_the_rest_are_read(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    items: list[Any] = [
        {"metadata": {"name": "small"}},
        {"metadata": {"name": "big"}, "data": "x" * 200},
        {"metadata": {"name": "deep"}, "spec": {"a": {"b": {"c": {}}}}},
        {"metadata": "not a mapping", "data": "y" * 200},
        ["not", "an", "object"],
        {"metadata": {"name": "edge"}, "spec": {"a": {"b": {}}}},
    ]
    scripted.replies["/api/v1/pods"] = reply({"items": items})
    limits = ReadLimits(max_object_bytes=150, max_depth=4)
    src = source(
        write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=50, limits=limits
    )
    assert read(src) == [["Pod v1 small", "Pod v1 edge"]]
    assert [p.reason for p in src.problems] == [
        "LIST Pod failed: Pod big not read: object is larger than 150 bytes (--max-object-bytes, nesting limit)",
        "LIST Pod failed: Pod deep not read: object nested deeper than 4 levels (--max-object-bytes, nesting limit)",
        "LIST Pod failed: Pod None not read: object is larger than 150 bytes (--max-object-bytes, nesting limit)",
        "LIST Pod failed: an item is a list, not an object",
    ]
    assert {(p.where, p.kind, p.api_group) for p in src.problems} == {("/api/v1/pods", "Pod", "")}


# -- credentials and the kubeconfig ---------------------------------------------------------------


def test_credentials_never_appear_in_the_description_or_problems(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    scripted.replies["/api/v1/pods"] = reply(
        {"message": f"token {TOKEN} of alice:{PASSWORD}@host refused"}, 401
    )
    server = scripted.url.replace("http://", f"http://alice:{PASSWORD}@")
    src = source(write_kubeconfig(tmp_path / "config", server), [("", "v1", "Pod")], context="x")
    where = scripted.url.replace("http://", "http://***@")
    assert src.description == f"cluster at {where} (context x)"
    assert read(src) == []
    assert src.problems == [
        SourceProblem(
            "/api/v1/pods",
            "LIST Pod failed: HTTP 401 Unauthorized: token *** of alice:***@host refused",
            "Pod",
            "",
        )
    ]
    plain = source(write_kubeconfig(tmp_path / "plain", scripted.url), [("", "v1", "Pod")])
    assert plain.description == f"cluster at {scripted.url}"


def test_open_client_names_the_kubeconfig_that_cannot_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = ReadLimits()
    config = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9")
    scrub, api = open_client(str(config), None, limits)
    assert api.configuration.host == "http://127.0.0.1:9" and scrub(TOKEN) == "***"
    with pytest.raises(SourceUnavailable) as caught:
        open_client(str(config), "nope", limits)
    assert str(caught.value) == (
        f"kubeconfig {config}: Invalid kube-config file. Expected object with name nope in {config}/contexts list"
    )
    missing = tmp_path / "missing"
    with pytest.raises(SourceUnavailable) as caught:
        open_client(str(missing), None, limits)
    assert str(caught.value) == f"kubeconfig {missing}: Invalid kube-config file. No configuration found."
    monkeypatch.setenv("KUBECONFIG", str(missing))
    with pytest.raises(SourceUnavailable) as caught:
        open_client(None, None, limits)
    assert str(caught.value).startswith("kubeconfig (default): Invalid kube-config file.")
    config.write_text("clusters: abc\n")
    with pytest.raises(SourceUnavailable) as caught:
        open_client(str(config), None, limits)
    assert str(caught.value) == f"kubeconfig {config}: clusters must be a list"


def test_open_client_turns_the_clients_own_failures_into_one_scrubbed_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    context = "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    config.write_text(
        context + "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority-data: 5}}]\n"
        "users: [{name: u, user: {}}]\n"
    )
    with pytest.raises(SourceUnavailable) as caught:
        open_client(str(config), None, ReadLimits())
    assert str(caught.value) == (
        f"kubeconfig {config}: not a usable kubeconfig: "
        "TypeError: argument should be a bytes-like object or ASCII string, not 'int'"
    )
    config.write_text(
        context + f"clusters: [{{name: c, token: {TOKEN}}}]\nusers: [{{name: u, user: {{}}}}]\n"
    )
    with pytest.raises(SourceUnavailable) as caught:
        open_client(str(config), None, ReadLimits())
    assert str(caught.value) == (
        f"kubeconfig {config}: Invalid kube-config file. Expected key cluster in {config}/{{'name': 'c', 'token': '***'}}"
    )


def test_the_context_asked_for_chooses_the_cluster(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    config = {
        "clusters": [
            {"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}},
            {"name": "live", "cluster": {"server": scripted.url}},
        ],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [
            {"name": "current", "context": {"cluster": "dead", "user": "u"}},
            {"name": "other", "context": {"cluster": "live", "user": "u"}},
        ],
        "current-context": "current",
    }
    path = tmp_path / "config"
    path.write_text(json.dumps(config))
    src = source(path, [("", "v1", "Pod")], context="other")
    assert src.description == f"cluster at {scripted.url} (context other)"
    assert src.resources == [ApiResource("", "v1", "pods", "Pod", True)]


def test_the_core_versions_are_those_the_server_names(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(
        {
            "/api": reply({"versions": ["v2"]}),
            "/apis": reply({"groups": []}),
            "/api/v2": reply({"resources": [_res("pods", "Pod", ["list"])]}),
        }
    )
    src = source(write_kubeconfig(tmp_path / "config", scripted.url), [("", "*", "Pod")])
    assert src.resources == [ApiResource("", "v2", "pods", "Pod", True)]
    assert scripted.paths == ["/api", "/apis", "/api/v2"]


def test_a_response_is_measured_over_all_its_chunks(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.replies.update(_discovery([], **{"/api/v1": [_res("pods", "Pod", ["list"])]}))
    # 111 bytes, then one byte at a time: no single chunk is over the 120-byte limit, their sum is.
    scripted.replies["/api/v1/pods"] = Reply(200, b'{"items": [' + b" " * 100, trickle=True)
    limits = ReadLimits(max_object_bytes=30, deadline=Deadline(5))
    src = source(
        write_kubeconfig(tmp_path / "config", scripted.url), [("", "v1", "Pod")], page_size=4, limits=limits
    )
    assert read(src) == []
    assert [p.reason for p in src.problems] == [
        "LIST Pod failed: ValueError: /api/v1/pods: response larger than 120 bytes (--page-size × --max-object-bytes)"
    ]
