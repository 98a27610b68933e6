"""A tiny Kubernetes-looking HTTP server on 127.0.0.1 that misbehaves on purpose.

It serves core/v1 discovery with `namespaces` and `pods`; each resource's LIST answers as
`behaviour` says: "ok" (one object), "trickle" (headers, then one byte every 0.1 s until the
client goes or the server stops), "retry-after" (503 with `Retry-After: 30`), "silent" (no answer
until the server stops), "endless" (a new continue token on every page, forever), "same-token"
(the same continue token on every page), "expanding" (a 36 MB LIST of twelve million empty lists),
or an HTTP status. The embedded server's `delay` fault waits
(the same continue token on every page), "echo-credentials" (403 whose message repeats the
Authorization header it was sent), or an HTTP status. The embedded server's `delay` fault waits
before answering, which a per-read timeout already ends; a trickle never leaves a read idle.

Copies of one object: "conflict-pages" serves the Pod on page 1 and again, changed, on page 2;
"relist-conflict" serves it, then 410 for the continue token, then the changed Pod on the re-list
("relist-same": the same Pod again); "shared-uid" serves two Pods with one uid (copied manifests).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OBJECTS = {
    "namespaces": {"metadata": {"name": "default", "uid": "ns-1"}},
    "pods": {
        "metadata": {"name": "p", "namespace": "default", "uid": "pod-1"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]},
    },
}
KINDS = {"namespaces": ("Namespace", False), "pods": ("Pod", True)}
COPIES = ("conflict-pages", "relist-conflict", "relist-same", "shared-uid")


@dataclass
class Server:
    url: str
    stop: threading.Event
    requests: list[str]

    def kubeconfig(
        self,
        path: Path,
        server: str | None = None,
        token: str = "t0ken-of-the-test",
        user: dict[str, object] | None = None,
    ) -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": server or self.url}}],
                    "users": [{"name": "u", "user": user if user is not None else {"token": token}}],
                    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "x",
                }
            )
        )
        return path


def _handler(behaviour: dict[str, str | int], stop: threading.Event, requests: list[str]) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            requests.append(path)
            if path == "/api":
                self._json(200, {"kind": "APIVersions", "versions": ["v1"]})
            elif path == "/apis":
                self._json(200, {"kind": "APIGroupList", "groups": []})
            elif path == "/api/v1":
                resources = [
                    {"name": name, "kind": kind, "namespaced": namespaced, "verbs": ["list", "get"]}
                    for name, (kind, namespaced) in KINDS.items()
                ]
                self._json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources})
            elif path.startswith("/api/v1/") and path.rsplit("/", 1)[1] in KINDS:
                self._list(path.rsplit("/", 1)[1])
            else:
                self._json(404, {"kind": "Status", "message": "not found"})

        def _list(self, plural: str) -> None:
            how = behaviour.get(plural, "ok")
            if how == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                self.wfile.write(b'{"items": [')
                while not stop.wait(0.1):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return
            elif how == "retry-after":
                data = b'{"kind": "Status", "message": "come back later"}'
                self.send_response(503)
                self.send_header("Retry-After", "30")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif how == "silent":
                stop.wait()
            elif how in ("endless", "same-token"):
                query = dict(
                    part.split("=", 1) for part in self.path.partition("?")[2].split("&") if "=" in part
                )
                page = int(query.get("continue", "t0")[1:] or 0) if how == "endless" else 0
                item = {
                    **OBJECTS[plural],
                    "metadata": {**OBJECTS[plural]["metadata"], "name": f"p{page}", "uid": f"u{page}"},
                }
                token = f"t{page + 1}" if how == "endless" else "tagain"
                self._json(200, {"kind": "List", "metadata": {"continue": token}, "items": [item]})
            elif how in COPIES:
                self._copies(plural, str(how))
            elif how == "expanding":
                # 36 MB of `[],`: twelve million empty lists, ~26 times its size once decoded.
                data = (
                    b'{"kind": "List", "metadata": {}, "items": [' + json.dumps(OBJECTS[plural]).encode()
                    + b'], "padding": [' + b"[]," * 12_000_000 + b"[]]}"
                )  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)
            elif how == "echo-credentials":  # a server that repeats what it was sent in its error
                said = self.headers.get("Authorization", "")
                self._json(403, {"kind": "Status", "message": f"forbidden for {said}", "reason": said})
            elif isinstance(how, int):
                self._json(how, {"kind": "Status", "message": f"injected {how}"})
            else:
                self._json(200, {"kind": "List", "metadata": {}, "items": [OBJECTS[plural]]})

        def _copies(self, plural: str, how: str) -> None:
            continued = "continue=" in self.path
            first_lists = starts.setdefault(plural, 0) + (0 if continued else 1)
            starts[plural] = first_lists
            same, changed = OBJECTS[plural], _changed(OBJECTS[plural])
            if how == "shared-uid":
                twin = {**same, "metadata": {**same["metadata"], "name": "p-twin"}}
                self._json(200, {"kind": "List", "metadata": {}, "items": [same, twin]})
            elif how == "conflict-pages":
                items, token = ([changed], "") if continued else ([same], "t1")
                self._json(200, {"kind": "List", "metadata": {"continue": token}, "items": items})
            elif continued:  # relist-*: the continue token has expired
                self._json(410, {"kind": "Status", "reason": "Expired", "message": "continue too old"})
            elif first_lists == 1:
                self._json(200, {"kind": "List", "metadata": {"continue": "t1"}, "items": [same]})
            else:
                again = changed if how == "relist-conflict" else same
                self._json(200, {"kind": "List", "metadata": {}, "items": [again]})

    starts: dict[str, int] = {}  # LISTs started per resource (requests without a continue token)
    return Handler


def _changed(obj: dict[str, Any]) -> dict[str, Any]:
    """The same object with other content: for a Pod, its container no longer privileged."""
    copy: dict[str, Any] = json.loads(json.dumps(obj))
    for container in (copy.get("spec") or {}).get("containers", []):
        container["securityContext"] = {"privileged": False}
    copy.setdefault("metadata", {}).setdefault("labels", {})["changed"] = "yes"
    return copy


@contextmanager
def hostile_server(behaviour: dict[str, str | int]) -> Iterator[Server]:
    stop = threading.Event()
    requests: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour, stop, requests))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", stop, requests)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
