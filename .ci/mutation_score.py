"""Print mutmut's score from its CI stats file: (killed + timed out) / (total - skipped).

A timed-out mutant counts as killed (the mutation made the tests hang), as mutmut's own badge does.
"""

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    stats = json.loads(Path(path).read_text())
    tested = stats["total"] - stats.get("skipped", 0)
    caught = stats["killed"] + stats.get("timeout", 0)
    score = 100.0 * caught / tested if tested else 0.0
    print(
        f"mutation score: {score:.1f}% ({caught} of {tested} mutants killed; {stats['survived']} survived,"
        f" {stats.get('no_tests', 0)} without tests, {stats.get('timeout', 0)} timed out)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
