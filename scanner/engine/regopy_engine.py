"""regopy (rego-cpp) run ISOLATED in worker processes, so its crashes and hangs cannot end a scan.

The only module that starts the regopy worker (scanner/engine/regopy_worker.py, the only module
importing regopy). A worker that dies on a signal (regopy SIGSEGVs on `k := xs[_]; obj[k]`) or
outlives the per-request time-out (KSBENCH_REGOPY_TIMEOUT seconds, default 60; regopy builds
partial sets quadratically) is killed and becomes an EvalOutcome error, or a CompileError while
compiling; the next request starts a fresh worker. Kept selectable because the design card names
regopy; docs/engines.md lists where it differs from opa and regorus.

Compiling here parses and checks the modules (rego-cpp plans a query only when it first runs it),
so an unknown function or a planner crash surfaces at evaluation, as that evaluation's error.

Concurrency: each evaluating thread borrows its own worker from a pool, so the pool grows to the
number of threads that evaluate at once. Workers keep the rules they compiled; a worker that
never saw a rule (or evicted it) compiles it again on demand.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping
from importlib import metadata, util
from pathlib import Path
from typing import IO, Any

from scanner.engine import CompileError, EngineInfo, EngineUnavailable, EvalOutcome, responses_from

WORKER_SCRIPT = Path(__file__).with_name("regopy_worker.py")
TIMEOUT_ENV = "KSBENCH_REGOPY_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 60.0
STARTUP_TIMEOUT_SECONDS = 30.0

# rego-cpp error text is an S-expression: (error 22:helpers/x.rego|883|109 (errormsg 18:Invalid collection) ...)
_ERROR_AT = re.compile(r"\(error (\d+):")
_ERRORMSG = re.compile(r"\(errormsg (\d+):")

Frame = tuple[dict[str, Any], bytes]


class WorkerDied(RuntimeError):
    """The worker crashed, exited or timed out; the message says which, in the scan's words."""


def timeout_seconds() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise EngineUnavailable(f"{TIMEOUT_ENV} must be a positive number of seconds, got {raw!r}")
    return value


def _death(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"regopy crashed ({name})"
    return f"regopy worker exited with status {returncode}"


def describe_error(text: str, modules: Mapping[str, str]) -> str:
    """One readable line per rego-cpp error: `file:line:col: message` (the S-expression otherwise)."""
    messages = []
    for match in _ERRORMSG.finditer(text):
        size = int(match.group(1))
        message = text[match.end() : match.end() + size]
        where = ""
        before = list(_ERROR_AT.finditer(text, 0, match.start()))
        if before:
            at = before[-1]
            location = text[at.end() : at.end() + int(at.group(1))]
            tail = text[at.end() + int(at.group(1)) :].split("|")
            where = location
            if location in modules and len(tail) > 1 and tail[1].isdigit():
                offset = int(tail[1])
                source = modules[location][:offset]
                where = f"{location}:{source.count(chr(10)) + 1}:{offset - source.rfind(chr(10))}"
        messages.append(f"{where}: {message}" if where else message)
    if messages:
        return "; ".join(dict.fromkeys(messages))
    return (
        text.strip() or "regopy reported an error without a message (it does so for conflicting rule values)"
    )


class _Worker:
    """One child process; `request` sends a frame and waits for the reply, killing it on any failure."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-P", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # rego-cpp prints every parse error; the frames carry them
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin = self._proc.stdin
        self._replies: queue.Queue[Frame | None] = queue.Queue()
        threading.Thread(
            target=self._read, args=(self._proc.stdout,), name="ksbench-regopy-reader", daemon=True
        ).start()
        header, payload = self._wait(STARTUP_TIMEOUT_SECONDS)
        if not header.get("ready"):
            self.kill()
            raise EngineUnavailable(f"regopy worker failed to start: {payload.decode(errors='replace')}")

    def _read(self, stdout: IO[bytes]) -> None:
        try:
            while line := stdout.readline():
                header = json.loads(line)
                self._replies.put((header, stdout.read(header["size"])))
        except (OSError, ValueError):
            pass
        finally:
            self._replies.put(None)
            stdout.close()

    def _wait(self, timeout: float) -> Frame:
        try:
            frame = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise WorkerDied(f"regopy timed out after {timeout:g} s ({TIMEOUT_ENV})") from None
        if frame is None:
            self._reap()
            raise WorkerDied(_death(self._proc.returncode))
        return frame

    def _reap(self) -> None:
        """Collect a worker whose output closed: it is exiting, so wait briefly for its status."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        self.kill()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def request(self, header: dict[str, Any], payload: bytes, timeout: float) -> Frame:
        try:
            self._stdin.write(json.dumps({**header, "size": len(payload)}).encode() + b"\n" + payload)
            self._stdin.flush()
        except OSError:
            self._reap()
            raise WorkerDied(_death(self._proc.returncode)) from None
        return self._wait(timeout)

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._stdin.close()


class _WorkerPool:
    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._all: weakref.WeakSet[_Worker] = weakref.WeakSet()
        self._lock = threading.Lock()

    def acquire(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        return worker

    def release(self, worker: _Worker) -> None:
        if worker.alive:
            with self._lock:
                self._idle.append(worker)

    def idle(self) -> list[_Worker]:
        with self._lock:
            return list(self._idle)

    def close(self) -> None:
        with self._lock:
            workers, self._idle = list(self._all), []
        for worker in workers:
            worker.kill()


_POOLS: weakref.WeakSet[_WorkerPool] = weakref.WeakSet()
_next_rule_id = iter(range(1, sys.maxsize))
_rule_id_lock = threading.Lock()


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS):
        pool.close()


class RegopyCompiledRule:
    def __init__(
        self,
        pool: _WorkerPool,
        timeout: float,
        modules: Mapping[str, str],
        data: Mapping[str, Any],
        query: str,
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self._modules = dict(modules)
        self._query = query
        self._spec = json.dumps({"modules": self._modules, "data": dict(data)}).encode()
        with _rule_id_lock:
            self._id = next(_next_rule_id)
        worker = pool.acquire()
        try:
            self._compile_on(worker)
        except WorkerDied as exc:
            raise CompileError(f"{exc} while compiling") from exc
        finally:
            pool.release(worker)

    def _compile_on(self, worker: _Worker) -> None:
        header, payload = worker.request(
            {"op": "compile", "id": self._id, "query": self._query}, self._spec, self._timeout
        )
        if header.get("compile_error"):
            raise CompileError(describe_error(payload.decode(errors="replace"), self._modules))

    def evaluate(self, objects: list[dict[str, Any]]) -> EvalOutcome:
        request = {"op": "evaluate", "id": self._id}
        payload = json.dumps(objects).encode()
        worker = self._pool.acquire()
        try:
            header, text = worker.request(request, payload, self._timeout)
            if header.get("unknown"):
                self._compile_on(worker)
                header, text = worker.request(request, payload, self._timeout)
        except WorkerDied as exc:
            return EvalOutcome(error=f"{exc} evaluating {len(objects)} objects")
        except CompileError as exc:
            return EvalOutcome(error=f"recompiling in a fresh worker: {exc}")
        finally:
            self._pool.release(worker)
        return self._outcome(header, text.decode(errors="replace"))

    def _outcome(self, header: dict[str, Any], text: str) -> EvalOutcome:
        if header.get("raised") or not header.get("ok"):
            return EvalOutcome(error=describe_error("" if text == "<error>" else text, self._modules))
        if text.strip() == "undefined":
            return EvalOutcome(responses=())
        try:
            document = json.loads(text)
        except ValueError as exc:
            if text.lstrip().startswith("("):  # rego-cpp reports some errors as ok output, S-expression
                return EvalOutcome(error=describe_error(text, self._modules))
            # e.g. a string holding quotes, which rego-cpp writes unescaped
            return EvalOutcome(error=f"regopy returned invalid JSON ({exc})")
        results = document if isinstance(document, list) else [document]
        if not results or not results[0].get("expressions"):
            return EvalOutcome(responses=())
        return responses_from(results[0]["expressions"][0])

    def close(self) -> None:
        """Drop the rule from the idle workers; busy ones evict it in their own time."""
        for worker in self._pool.idle():
            try:
                worker.request({"op": "drop", "id": self._id}, b"", self._timeout)
            except WorkerDied:
                continue


class RegopyRegoEngine:
    def __init__(self, version: str, timeout: float) -> None:
        self.info = EngineInfo(
            name="regopy",
            version=version,
            rego_version="regopy (rego-cpp), Rego v1",
            notes=(f"isolated in worker processes; time-out {timeout:g} s per request ({TIMEOUT_ENV})",),
        )
        self.timeout = timeout
        self._pool = _WorkerPool()
        _POOLS.add(self._pool)

    def compile(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> RegopyCompiledRule:
        return RegopyCompiledRule(self._pool, self.timeout, modules, data, query)

    def start_worker(self) -> None:
        """Start one worker now (EngineUnavailable when it cannot) and keep it for the first request."""
        self._pool.release(self._pool.acquire())

    def close(self) -> None:
        """Stop every worker; compiled rules start new ones if used again."""
        self._pool.close()


def create() -> RegopyRegoEngine:
    if util.find_spec("regopy") is None:
        raise EngineUnavailable("regopy engine unavailable: pip install 'ksbench[regopy]' (regopy>=1.5)")
    engine = RegopyRegoEngine(metadata.version("regopy"), timeout_seconds())
    engine.start_worker()
    return engine


__all__ = ["RegopyCompiledRule", "RegopyRegoEngine", "WorkerDied", "create", "describe_error"]
