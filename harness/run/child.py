"""The child trampoline: runs a measured program in this process and records its own costs.

`python -m harness.run.child --stats FILE -- -m MODULE ARGS...` (or `-- SCRIPT.py ARGS...`) runs the
target with runpy, then at exit writes to FILE its peak resident set size (VmHWM from
/proc/self/status) and the CPU time of this process (os.times(): user + system, all threads).

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

USAGE = "usage: python -m harness.run.child --stats FILE -- (-m MODULE | SCRIPT) [ARGS...]"


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
    lines = (
        f"peak_rss_bytes={peak}\n"
        f"peak_rss_source={source}\n"
        f"cpu_user_seconds={times.user!r}\n"
        f"cpu_system_seconds={times.system!r}\n"
        f"children_cpu_seconds={times.children_user + times.children_system!r}\n"
    )
    # Temp file + rename: a half-written stats file must never be read as figures.
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as out:
        out.write(lines)
    os.replace(tmp, path)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[0] != "--stats" or argv[2] != "--":
        sys.exit(USAGE)
    stats_path, target = argv[1], argv[3:]
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
