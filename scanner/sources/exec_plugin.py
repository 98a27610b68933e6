"""A kubeconfig's exec credential plugin, run within the scan's time and with bounded output.

The kubernetes client runs the plugin with no time-out and keeps all it prints: a plugin that
never returns held a scan past --deadline, and one that prints without end filled memory.
scanner.sources.kube hands the client a provider that runs the plugin here instead: in its own
process group, killed when --timeout or the deadline (whichever comes first) passes or when it
prints more than PLUGIN_MAX_OUTPUT_BYTES. Nothing the plugin prints is ever put in a message:
its standard output holds the credential, and its standard error may.

The only module of the scanner that starts a process for the sources. Imports no kubernetes.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

# An ExecCredential is a few KB (a token, or a client certificate and key); a megabyte is not one.
PLUGIN_MAX_OUTPUT_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class ExecPluginFailed(BaseException):
    """The plugin did not give a credential in time; the message says why without its output.

    A BaseException: the client's loader catches every Exception from a plugin and only logs it
    (then goes on with no credential), where this must end the source with its reason.
    """


def plugin_name(argv: list[str]) -> str:
    """The command's file name only: its arguments (and a path) may hold secrets."""
    return Path(str(argv[0])).name if argv else "(none)"


def run_plugin(argv: list[str], env: dict[str, str], cwd: str | None, seconds: float) -> bytes:
    """The plugin's standard output; ExecPluginFailed when it cannot start, fails, prints too much or is too slow."""
    name = plugin_name(argv)
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own group: a shell plugin's children end with it
        )
    except OSError as exc:
        raise ExecPluginFailed(
            f"the exec credential plugin {name} cannot be started: {exc.strerror or exc}"
        ) from exc
    try:
        out, err_bytes = _collect(process, name, time.monotonic() + max(seconds, 0.001), seconds)
        status = process.wait(timeout=max(seconds, 0.001))
    except subprocess.TimeoutExpired:
        _kill(process)
        raise ExecPluginFailed(
            f"the exec credential plugin {name} did not exit within {seconds:g} s"
        ) from None
    except BaseException:
        _kill(process)
        raise
    finally:
        _close_pipes(process)  # on every path: a plugin run per scan (and per refresh) leaks none
    if status != 0:
        shown = (
            f" ({err_bytes:,} bytes on standard error, not shown: they may hold credentials)"
            if err_bytes
            else ""
        )
        raise ExecPluginFailed(f"the exec credential plugin {name} exited with status {status}{shown}")
    return out


def _collect(process: subprocess.Popen[bytes], name: str, until: float, seconds: float) -> tuple[bytes, int]:
    """Standard output (bounded) and the count of standard error bytes, until both close or time is up."""
    assert process.stdout is not None and process.stderr is not None
    out: list[bytes] = []
    out_bytes = err_bytes = 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, "out")
        selector.register(process.stderr, selectors.EVENT_READ, "err")
        while selector.get_map():
            left = until - time.monotonic()
            if left <= 0:
                raise ExecPluginFailed(
                    f"the exec credential plugin {name} gave no credential within {seconds:g} s "
                    "(--timeout, or what was left of --deadline)"
                )
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data == "out":
                    out_bytes += len(chunk)
                    if out_bytes > PLUGIN_MAX_OUTPUT_BYTES:
                        raise ExecPluginFailed(
                            f"the exec credential plugin {name} printed more than "
                            f"{PLUGIN_MAX_OUTPUT_BYTES:,} bytes: not a credential"
                        )
                    out.append(chunk)
                else:
                    err_bytes += len(chunk)
    return b"".join(out), err_bytes


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
