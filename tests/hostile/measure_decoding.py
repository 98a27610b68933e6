"""Peak RSS and wall time of each case of test_hostile_decoding.py, one line each.

`python tests/hostile/measure_decoding.py > docs/data/hostile-decoding.txt` (Linux: the driver
resets and reads its own VmHWM per case). The same inputs and the same one-child driver as the
tests; `uptime` is printed first, since the times depend on the machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hostile_server import hostile_server
from test_hostile_decoding import _cases


def main() -> int:
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="hostile-decoding-") as folder:
        w = Path(folder)
        with hostile_server({"pods": "expanding"}) as server:
            cases = _cases(w, server.kubeconfig(w / "server-config"))
            (w / "cases.json").write_text(
                json.dumps([{"id": key, "args": args} for key, args in cases.items()])
            )
            subprocess.run(
                [sys.executable, str(Path(__file__).with_name("refusal_driver.py")), str(w / "cases.json"),
                 str(w / "results.json")],
                env={**os.environ, "KSBENCH_HOME": str(w / "home")},
                check=True,
            )  # fmt: skip
        results = json.loads((w / "results.json").read_text())
        for key, run in results.items():
            lines = (run["err"] + run["out"]).replace(folder, "W").strip().splitlines()
            said = next(
                (line for line in reversed(lines) if "not read" in line or "error" in line),
                lines[-1:] or [""],
            )
            print(
                f"{key:24} exit {run['code']!s:4} peak {run['peak_bytes'] / 2**20:5.0f} MiB "
                f"{run['wall_seconds']:6.2f} s  {str(said)[:150]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
