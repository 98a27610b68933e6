"""A small workload for profiler tests: a known hot function and a known allocation.

`python busy_program.py SECONDS MIB`: holds MIB of bytearrays allocated in `hold_memory`, then
spins in `hot_loop` for SECONDS of CPU time.
"""

import sys
import time


def hold_memory(mib: int) -> list[bytearray]:
    return [bytearray(1024 * 1024) for _ in range(mib)]


def hot_loop(seconds: float) -> int:
    total = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        total += sum(i * i for i in range(500))
    return total


if __name__ == "__main__":
    held = hold_memory(int(sys.argv[2]))
    hot_loop(float(sys.argv[1]))
    del held
