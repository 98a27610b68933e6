"""The `embedded` backend: starts, populates, checks and stops the embedded API server process.

One server process per scenario, its state under $KSBENCH_HOME/clusters/embedded/<scenario>/:
server.json (pid, port, url — written by the server once it listens), server.log, kubeconfig,
fingerprint.json (written atomically only after populating completed), live.json (the server's
resourceVersion and object count right after populating). Populating is resumable: only missing
objects are created. A running server is reused only when its live resourceVersion and count are
still those of live.json: every create, update or delete moves the resourceVersion, so a
cluster changed after `cluster up` is reloaded rather than passed off as matching its fingerprint. Owns the server's lifecycle; must not serve HTTP itself (that
is embedded_server) nor import the kubernetes client at module level.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from harness.clusters import (
    BackendOption,
    ClusterHandle,
    ClusterStatus,
    ksbench_home,
    ownership,
    read_fingerprint_digest,
    state_dir,
    write_fingerprint,
)
from harness.clusters.embedded_server import STATE_FILE
from harness.exit_codes import EnvironmentProblem
from harness.scenarios.fingerprint import canonical_json, fingerprint
from harness.scenarios.format import Scenario
from harness.scenarios.source import scenario_objects
from scanner.numbers import number

BACKEND = "embedded"
CONTEXT = "ksbench-embedded"
_START_TIMEOUT_SECONDS = 15.0
_BULK_CHUNK_OBJECTS = 2000
# Servers this process started, kept referenced so they are reaped by `stop`, not left to GC.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def kubeconfig_text(server_url: str, name: str = CONTEXT) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: {server_url}\n"
        f"users:\n- name: {name}\n  user:\n    token: ksbench\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        f"current-context: {name}\npreferences: {{}}\n"
    )


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


class ServerProcess:
    """A running embedded server: its pid and URL, read from the state directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def state(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.directory / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        return data

    @property
    def url(self) -> str | None:
        state = self.state()
        return str(state["url"]) if state else None

    @property
    def pid(self) -> int | None:
        state = self.state()
        return int(state["pid"]) if state else None

    def pid_alive(self) -> bool:
        state = self.state()
        if not state:
            return False
        try:
            cmdline = Path(f"/proc/{int(state['pid'])}/cmdline").read_bytes()
        except OSError:
            return False
        # A recycled pid must not be taken for our server.
        return b"harness.clusters.embedded_server" in cmdline

    def ready(self) -> bool:
        url = self.url
        if not url or not self.pid_alive():
            return False
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def start(self, *, port: int, forbidden: Sequence[str], faults_file: Path | None = None) -> str:
        if port and port_in_use(port):
            raise EnvironmentProblem(
                f"port {port} on 127.0.0.1 is in use; choose another with --port or omit it to take any free port"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / STATE_FILE).unlink(missing_ok=True)
        argv = [
            sys.executable,
            "-m",
            "harness.clusters.embedded_server",
            "--state",
            str(self.directory.resolve()),
            "--port",
            str(port),
        ]
        for resource in forbidden:
            argv += ["--forbid", resource]
        if faults_file is not None:
            argv += ["--faults", str(faults_file)]
        log = (self.directory / "server.log").open("ab")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")])
        )
        # Its own session: the server outlives `ksbench cluster up` until `cluster down`.
        process = subprocess.Popen(
            argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
        log.close()
        _CHILDREN[process.pid] = process
        ownership.record_owner(self.directory)
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _CHILDREN.pop(process.pid, None)
                tail = (self.directory / "server.log").read_text(errors="replace").strip().splitlines()[-3:]
                raise EnvironmentProblem(
                    f"the embedded server exited at start ({process.returncode}): {' | '.join(tail)}"
                )
            state = self.state()
            if state and state.get("pid") == process.pid:
                return str(state["url"])
            time.sleep(0.02)
        process.kill()
        process.wait()
        _CHILDREN.pop(process.pid, None)
        raise EnvironmentProblem(f"the embedded server did not start within {_START_TIMEOUT_SECONDS:.0f} s")

    def stop(self) -> bool:
        state = self.state()
        if not state or not self.pid_alive():
            return False
        return stop_server(int(state["pid"]))

    def request(self, method: str, path: str, body: bytes | None = None, timeout: float = 120) -> Any:
        url = self.url
        if url is None:
            raise EnvironmentProblem(f"no embedded server state in {self.directory}")
        req = urllib.request.Request(
            f"{url}{path}", data=body, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise EnvironmentProblem(
                f"embedded server answered {method} {path} with {exc.code}: {exc.read()[:300]!r}"
            ) from exc
        except OSError as exc:
            raise EnvironmentProblem(f"cannot reach the embedded server at {url}: {exc}") from exc


def stop_server(pid: int) -> bool:
    """SIGTERM an embedded server process (SIGKILL after 5 s) and reap it when it is our child."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return True
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        if _reap(pid):
            break
        time.sleep(0.02)
    else:
        if Path(f"/proc/{pid}").exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)
    return True


def server_processes(root: Path) -> dict[int, Path]:
    """pid → state folder of every live embedded server this user runs with its state under `root`.

    Read from /proc, not from the state folders: a server whose record was overwritten or removed
    (an orphan) is found all the same. Servers of another KSBENCH_HOME are not.
    """
    found: dict[int, Path] = {}
    if not Path("/proc").is_dir():  # no /proc (not Linux): the state folders' records only
        return found
    home = root.resolve()
    uid = os.getuid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if b"harness.clusters.embedded_server" not in argv or b"--state" not in argv:
                continue
            state = Path(os.fsdecode(argv[argv.index(b"--state") + 1]))
            if not state.is_absolute():  # servers started before state paths were made absolute
                state = Path(os.readlink(entry / "cwd")) / state
        except (OSError, IndexError):
            continue
        pid = int(entry.name)
        if state.resolve().parent == home and ownership.pid_alive(pid):
            found[pid] = state
    return found


def _reap(pid: int) -> bool:
    """Collect the child if it is ours (when `up` and `down` run in one process); True once gone."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        return (
            not Path(f"/proc/{pid}").exists()
            or Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0
        )


def set_faults(
    server_url: str, faults: Sequence[Mapping[str, Any]] | None, *, replace: bool = True
) -> list[dict[str, Any]]:
    """Inject faults into a running embedded server (None or [] with replace clears them).

    A fault: {"resource": "pods" | "apps/v1/deployments" | "*", "action": "status" | "delay" |
    "expire" | "drop", "status": 403, "delay_seconds": 2.0, "verbs": ["list"], "namespace": "x",
    "on": "any" | "first" | "continue", "times": N}.
    """
    if not faults:
        req = urllib.request.Request(f"{server_url}/_ksbench/faults", method="DELETE")
    else:
        body = json.dumps(list(faults)).encode()
        req = urllib.request.Request(
            f"{server_url}/_ksbench/faults", data=body, method="PUT" if replace else "POST"
        )
    with urllib.request.urlopen(req, timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
    return result


_LIVE_FILE = "live.json"


def _record_live(directory: Path, stats: Mapping[str, Any]) -> None:
    tmp = directory / f".{_LIVE_FILE}.tmp"
    tmp.write_text(json.dumps({"resourceVersion": stats["resourceVersion"], "objects": stats["objects"]}))
    tmp.replace(directory / _LIVE_FILE)


def _live_change(directory: Path, stats: Mapping[str, Any]) -> str | None:
    """How the live server differs from what was loaded, or None when it is unchanged."""
    try:
        loaded = json.loads((directory / _LIVE_FILE).read_text())
    except (OSError, ValueError):
        return "no record of what was loaded"
    if not isinstance(loaded, dict):
        return "no record of what was loaded"
    if (stats.get("resourceVersion"), stats.get("objects")) != (
        loaded.get("resourceVersion"),
        loaded.get("objects"),
    ):
        return (
            f"resourceVersion {loaded.get('resourceVersion')} → {stats.get('resourceVersion')}, "
            f"{loaded.get('objects')} → {stats.get('objects')} objects"
        )
    return None


class EmbeddedBackend:
    name = BACKEND
    OPTIONS: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "--port",
            "port on 127.0.0.1 (default: any free port)",
            number(0, 65535, integer=int),
            only_up=True,
        ),
        BackendOption(
            "--populate",
            "load objects in bulk (fast, the default) or with the official client's create calls",
            choices=("bulk", "client"),
            only_up=True,
        ),
        BackendOption(
            "--workers",
            "parallel creates when populating with the client (default 8)",
            number(1, 256, integer=int),
            only_up=True,
        ),
    )

    def __init__(
        self, *, port: int = 0, populate: str = "bulk", workers: int = 8, root: Path | None = None
    ) -> None:
        self.port = port
        self.populate_mode = populate
        self.workers = workers
        self.root = root  # state root instead of $KSBENCH_HOME/clusters/embedded (tests)

    def directory(self, scenario_name: str) -> Path:
        return self.root / scenario_name if self.root else state_dir(BACKEND, scenario_name)

    def up(self, scenario: Scenario, progress: Callable[[str], None] | None = None) -> ClusterHandle:
        say = progress or (lambda _message: None)
        directory = self.directory(scenario.name)
        server = ServerProcess(directory)
        objects = scenario_objects(scenario)
        expected = fingerprint(scenario.name, objects)
        recorded = read_fingerprint_digest(directory)
        running = server.ready()
        if running and recorded == expected.digest:
            changed = _live_change(directory, server.request("GET", "/_ksbench/stats"))
            if changed is None:
                say(
                    f"embedded cluster for {scenario.name} is up and matches fingerprint {expected.digest[:12]}"
                )
                return self._handle(scenario, server, expected.digest, reused=True)
            say(
                f"embedded cluster for {scenario.name} changed since it was loaded ({changed}); restarting it"
            )
            server.stop()
            running = False
        if running and recorded is not None and recorded != expected.digest:
            say(f"embedded cluster for {scenario.name} holds other content; restarting it")
            server.stop()
            running = False
        (directory / "fingerprint.json").unlink(missing_ok=True)
        (directory / _LIVE_FILE).unlink(missing_ok=True)
        if not running:
            server.stop()
            url = server.start(port=self.port, forbidden=scenario.forbidden)
            say(f"embedded API server started at {url} (pid {server.pid})")
        self.populate(server, objects, say)
        _record_live(directory, server.request("GET", "/_ksbench/stats"))
        write_fingerprint(directory, expected)
        return self._handle(scenario, server, expected.digest, reused=False, started=not running)

    def populate(
        self, server: ServerProcess, objects: Sequence[Mapping[str, Any]], say: Callable[[str], None]
    ) -> None:
        started = time.monotonic()
        if self.populate_mode == "client":
            from harness.clusters import kubeclient

            kubeconfig = self._write_kubeconfig(server.directory, str(server.url))
            api = kubeclient.api_client(kubeconfig, CONTEXT, pool_size=self.workers)
            result = kubeclient.create_objects(api, objects, workers=self.workers, progress=say)
            say(
                f"created {result.created} objects ({result.existing} existed) at {result.creates_per_second:.0f}/s"
            )
            return
        created = existing = 0
        for start in range(0, len(objects), _BULK_CHUNK_OBJECTS):
            chunk = objects[start : start + _BULK_CHUNK_OBJECTS]
            body = b'{"items":[' + b",".join(canonical_json(obj) for obj in chunk) + b"]}"
            result = server.request("POST", "/_ksbench/bulk", body)
            created += result["created"]
            existing += result["existing"]
            say(f"populated {start + len(chunk)}/{len(objects)} objects")
        seconds = time.monotonic() - started
        say(f"loaded {created} objects ({existing} existed) in {seconds:.1f} s")

    def _write_kubeconfig(self, directory: Path, url: str) -> Path:
        path = directory / "kubeconfig"
        tmp = directory / ".kubeconfig.tmp"
        tmp.write_text(kubeconfig_text(url))
        tmp.replace(path)
        return path

    def _handle(
        self, scenario: Scenario, server: ServerProcess, digest: str, *, reused: bool, started: bool = False
    ) -> ClusterHandle:
        url = str(server.url)
        kubeconfig = self._write_kubeconfig(server.directory, url)
        return ClusterHandle(BACKEND, scenario.name, kubeconfig, CONTEXT, url, None, digest, reused, started)

    def _root(self) -> Path:
        return self.root or ksbench_home() / "clusters" / BACKEND

    def _scenario_dirs(self) -> list[Path]:
        root = self._root()
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def status(self) -> list[ClusterStatus]:
        """Every scenario's recorded server first, then every server process of this home it does not record."""
        processes = server_processes(self._root())
        result = []
        for directory in self._scenario_dirs():
            server = ServerProcess(directory)
            digest = read_fingerprint_digest(directory)
            if server.ready():
                stats = server.request("GET", "/_ksbench/stats", timeout=10)
                state = "running" if digest else "populating"
                detail = f"{server.url} {stats['objects']} objects, fingerprint {digest[:12] if digest else 'none yet'}"
            elif server.pid_alive():
                state, detail = "unready", f"{server.url} does not answer /readyz"
            else:
                state, detail = "stopped", "server not running"
            result.append(
                ClusterStatus(BACKEND, directory.name, state, detail + _ownership(directory, server))
            )
        recorded = {ServerProcess(d).pid for d in self._scenario_dirs()}
        for pid, directory in sorted(processes.items()):
            if pid not in recorded:
                result.append(
                    ClusterStatus(
                        BACKEND,
                        directory.name,
                        "orphaned",
                        f"server pid {pid} is running but no state records it (its record was replaced "
                        f"or removed); `ksbench cluster down {directory.name}` stops it",
                    )
                )
        return result

    def down(self, scenario_name: str | None = None) -> list[str]:
        """Stop the recorded server and every orphaned one of the scenario (all when None); remove the state."""
        processes = server_processes(self._root())
        directories = [self.directory(scenario_name)] if scenario_name else self._scenario_dirs()
        names = {d.name for d in directories} | (
            {d.name for d in processes.values()} if scenario_name is None else set()
        )
        stopped = []
        for name in sorted(names):
            directory = self.directory(name)
            orphans = [pid for pid, state in processes.items() if state.name == name]
            if not directory.exists() and not orphans:
                continue
            ServerProcess(directory).stop()
            for pid in orphans:
                stop_server(pid)
            shutil.rmtree(directory, ignore_errors=True)
            stopped.append(name)
        return stopped


def _ownership(directory: Path, server: ServerProcess) -> str:
    """What a status line adds: "; pid P; started by …; in use by …" (the parts known)."""
    parts = [f"pid {server.pid}"] if server.pid_alive() else []
    owner = ownership.read_owner(directory)
    if owner is not None:
        parts.append(f"started by {owner.describe()}")
    holder = ownership.in_use_by(directory)
    if holder is not None:
        parts.append(f"in use by {holder}")
    return "; " + "; ".join(parts) if parts else ""


@contextlib.contextmanager
def embedded_cluster(
    scenario: Scenario, root: Path, *, populate: str = "bulk", port: int = 0
) -> Iterator[ClusterHandle]:
    """A populated embedded cluster for the duration of a `with` block (tests, benchmarks)."""
    backend = EmbeddedBackend(port=port, populate=populate, root=root)
    try:
        yield backend.up(scenario)
    finally:
        backend.down(scenario.name)
