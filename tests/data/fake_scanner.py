"""A stand-in for `python -m scanner scan` in harness tests: same flags, controllable costs.

`fake_scanner.py scan DIR --format json --output F --pin-time --phases P [--workers N]
[--control-order O] [--engine E]` reads DIR/fake.json:
  {"cpu_seconds": 0.2, "memory_mib": 30, "phase_cpu": {"1": 0.6}, "phase_memory": {"5": 0.5},
   "mismatch": ["P3"], "crash": ["P2"], "hang": ["P4"], "unreachable": false}
burns that much CPU and touches that much memory (each phase multiplies them), and writes a
report with format_version "ksbench-report/1". Combinations listed under mismatch change one
finding; under crash exit 1; under hang sleep forever.
"""

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("path")
    parser.add_argument("--format", default="json")
    parser.add_argument("--output", required=True)
    parser.add_argument("--pin-time", action="store_true")
    parser.add_argument("--phases", default="baseline")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--control-order", default="sorted")
    parser.add_argument("--engine", default="fake")
    args = parser.parse_args()
    config = json.loads((Path(args.path) / "fake.json").read_text())
    if config.get("unreachable"):
        print("no source could be read", file=sys.stderr)
        return 4
    numbers = (
        []
        if args.phases == "baseline"
        else (list(range(1, 7)) if args.phases == "all" else [int(p[1:]) for p in args.phases.split("+")])
    )
    if args.phases in config.get("crash", []):
        raise RuntimeError("fake crash")
    if args.phases in config.get("hang", []):
        time.sleep(3600)
    cpu = config.get("cpu_seconds", 0.1)
    memory = config.get("memory_mib", 10)
    for n in numbers:
        cpu *= config.get("phase_cpu", {}).get(str(n), 1.0)
        memory *= config.get("phase_memory", {}).get(str(n), 1.0)
    block = bytearray(int(memory * 1024 * 1024))
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    start = time.process_time()
    total = 0
    while time.process_time() - start < cpu:
        total += sum(i * i for i in range(1000))
    results = [
        {"resourceID": f"pod/ns/p{i}", "controls": [{"controlID": "C-0057", "status": "failed"}]}
        for i in range(5)
    ]
    if args.phases in config.get("mismatch", []):
        results[2]["controls"][0]["status"] = "passed"
    report = {
        "format_version": "ksbench-report/1",
        "metadata": {
            "engine": {"name": "fake", "version": "0", "rego_version": "v1"},
            "phases": args.phases,
            "workers": args.workers,
        },
        "results": results,
    }
    Path(args.output).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
