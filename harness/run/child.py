"""The child trampoline: runs a measured program in this process and records its own costs.

`python -m harness.run.child --stats FILE -- -m MODULE ARGS...` (or `-- SCRIPT.py ARGS...`) runs the
target with runpy, then at exit writes to FILE its peak resident set size (VmHWM from
/proc/self/status) and the CPU time of this process (os.times(): user + system, all threads).

`--stats FILE --exec -- PROGRAM ARGS...` runs a program that is not Python (a kubescape binary):
fork and exec, then wait4 gives its CPU time and ru_maxrss. Exec resets the image but the kernel
keeps the forked copy's high-water mark, so that peak has a floor of this small process's RSS at
fork, which is recorded too (`exec_floor_rss_bytes`). The exit status is passed on.

Why a trampoline: `ru_maxrss` seen by a parent through wait4/RUSAGE_CHILDREN (and even the
child's own RUSAGE_SELF) inherits the high-water mark of the forking parent on Linux; VmHWM
belongs to the exec'd image alone. Owns nothing else: it must import almost nothing (every
import here would be charged to the measured program) and never touch the target's behaviour.
The stats file is `key=value` lines, read by harness.run.process.
"""

import atexit
import os
import runpy
import sys

USAGE = "usage: python -m harness.run.child --stats FILE [--exec] -- (-m MODULE | SCRIPT | PROGRAM) [ARGS...]"


def _peak_rss_bytes() -> tuple[int, str]:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    # Not Linux: ru_maxrss is the best left (bytes on macOS, KiB elsewhere); the source says which.
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (maxrss if sys.platform == "darwin" else maxrss * 1024), "ru_maxrss"


def _write_stats(path: str) -> None:
    times = os.times()
    peak, source = _peak_rss_bytes()
    _write_lines(
        path,
        f"peak_rss_bytes={peak}\n"
        f"peak_rss_source={source}\n"
        f"cpu_user_seconds={times.user!r}\n"
        f"cpu_system_seconds={times.system!r}\n"
        f"children_cpu_seconds={times.children_user + times.children_system!r}\n",
    )


def _write_lines(path: str, lines: str) -> None:
    # Temp file + rename: a half-written stats file must never be read as figures.
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as out:
        out.write(lines)
    os.replace(tmp, path)


def _current_rss_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _exec(stats_path: str, program: list[str]) -> None:
    floor = _current_rss_bytes()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(program[0], program)
        except OSError as exc:
            os.write(2, f"cannot run {program[0]}: {exc}\n".encode())
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    # ru_maxrss is KiB on Linux; this mode is Linux-only like VmHWM.
    _write_lines(
        stats_path,
        f"peak_rss_bytes={usage.ru_maxrss * 1024}\n"
        f"peak_rss_source=ru_maxrss-exec\n"
        f"cpu_user_seconds={usage.ru_utime!r}\n"
        f"cpu_system_seconds={usage.ru_stime!r}\n"
        f"children_cpu_seconds=0.0\n"
        f"exec_floor_rss_bytes={floor}\n",
    )
    if os.WIFSIGNALED(status):
        import signal

        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> None:
    exec_mode = len(argv) > 2 and argv[2] == "--exec"
    if exec_mode:
        argv = argv[:2] + argv[3:]
    if len(argv) < 4 or argv[0] != "--stats" or argv[2] != "--":
        sys.exit(USAGE)
    stats_path, target = argv[1], argv[3:]
    if exec_mode:
        _exec(stats_path, target)
        return
    # Registered before the target runs, so it runs last: after the target's own atexit
    # handlers and after non-daemon threads were joined.
    atexit.register(_write_stats, stats_path)
    if target[0] == "-m":
        if len(target) < 2:
            sys.exit(USAGE)
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(target)
        sys.path[0] = os.path.dirname(os.path.abspath(target[0]))
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
