"""Real HTTP servers inside the test process, for in-process tests of the cluster source.

The embedded API server runs on its own event loop in a daemon thread; a scripted server answers
fixed bytes (or trickles them) per path and records each request's path and headers. Both start
and stop inside a test's fixture: mutmut forks per mutant, and a thread started before the fork
would not exist in the child.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.clusters.embedded_server import STATE_FILE, Store, serve

TOKEN = "t0ken-of-the-in-process-test"
PASSWORD = "S3cretPassw0rd"


def write_kubeconfig(path: Path, server: str, token: str = TOKEN, context: str = "x") -> Path:
    """A kubeconfig with one cluster, one token user and one context, current."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
        "current-context": context,
    }
    path.write_text(json.dumps(config))
    return path


class _SignalKeepingLoop(asyncio.SelectorEventLoop):
    """serve() stops on SIGTERM; signal handlers need the main thread, so this loop keeps them to call."""

    def __init__(self) -> None:
        super().__init__()
        self.stop_callbacks: list[Callable[[], object]] = []

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:
        self.stop_callbacks.append(functools.partial(callback, *args))


@dataclass
class EmbeddedCluster:
    store: Store
    url: str
    directory: Path

    def add(self, *objects: dict[str, Any]) -> None:
        self.store.bulk_create(list(objects))

    def kubeconfig(self, server: str | None = None, token: str = TOKEN, context: str = "x") -> Path:
        return write_kubeconfig(self.directory / "kubeconfig", server or self.url, token, context)


@contextmanager
def embedded_cluster(directory: Path) -> Iterator[EmbeddedCluster]:
    """The harness's embedded API server on 127.0.0.1, stopped the way SIGTERM stops it."""
    store = Store()
    loop = _SignalKeepingLoop()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(serve(0, directory, store),), name="embedded", daemon=True
    )
    thread.start()
    # serve() writes server.json, then installs its two stop handlers; both are needed to stop it.
    while len(loop.stop_callbacks) < 2 and thread.is_alive():
        time.sleep(0.001)
    port = json.loads((directory / STATE_FILE).read_text())["port"]
    try:
        yield EmbeddedCluster(store, f"http://127.0.0.1:{port}", directory)
    finally:
        for callback in loop.stop_callbacks:
            loop.call_soon_threadsafe(callback)
        thread.join(timeout=10)
        loop.close()


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status and body, or (trickle) headers and then a byte at a time."""

    status: int = 200
    body: bytes = b"{}"
    trickle: bool = False


def reply(document: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(document).encode())


@dataclass
class ScriptedServer:
    url: str
    replies: dict[str, Reply]  # by path with query (as sent), else by path
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # headers lower-cased

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def _handler(server: ScriptedServer, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in two writes: without this, each answer waits on a delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            path = self.path.split("?", 1)[0]
            answer = server.replies.get(self.path) or server.replies.get(path)
            if answer is None:
                answer = reply({"kind": "Status", "message": f"no script for {self.path}"}, 404)
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(10**9 if answer.trickle else len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
            while answer.trickle and not stop.wait(0.02):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

    return Handler


@contextmanager
def scripted_server(replies: dict[str, Reply] | None = None) -> Iterator[ScriptedServer]:
    stop = threading.Event()
    scripted = ScriptedServer("", dict(replies or {}))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(scripted, stop))
    httpd.daemon_threads = True
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=functools.partial(httpd.serve_forever, poll_interval=0.01), name="scripted", daemon=True
    )
    thread.start()
    try:
        yield scripted
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
