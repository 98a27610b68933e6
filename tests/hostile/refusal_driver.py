"""Runs hostile cases through the real CLI in this one fresh process and measures each.

`python tests/hostile/refusal_driver.py CASES.json RESULTS.json`: CASES is a list of
{"id": ..., "args": [ksbench arguments]}. For each case the peak RSS is reset (Linux: "5" written
to /proc/self/clear_refs), `ksbench.cli.main(args)` runs with its output captured, and the exit
code, output, wall time and VmHWM (the peak since the reset, this process's own, never a
ru_maxrss inherited from a parent) are written to RESULTS. One interpreter for every case keeps
the corpus inside its minute; memory a case left behind only raises the next one's peak.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import sys
import time
from pathlib import Path


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def _peak_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _run(args: list[str]) -> dict[str, object]:
    from ksbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    gc.collect()
    _reset_peak()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main(args)
        except SystemExit as exc:  # argparse refuses an option's value
            code = exc.code
    wall = time.monotonic() - started
    return {
        "code": code,
        "out": out.getvalue(),
        "err": err.getvalue(),
        "wall_seconds": wall,
        "peak_bytes": _peak_bytes(),
    }


def main() -> int:
    cases = json.loads(Path(sys.argv[1]).read_text())
    results = {case["id"]: _run(case["args"]) for case in cases}
    Path(sys.argv[2]).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
