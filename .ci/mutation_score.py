"""Print mutmut's score from its CI stats file: (killed + timed out) / (tested - skipped), then the
same score per mutated module (from the `.meta` files beside the stats file) for the modules this
run tested.

A timed-out mutant counts as killed (the mutation made the tests hang), as mutmut's own badge does.
"""

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3}  # pytest failed, or pytest's internal error
TIMED_OUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = {34}


def module_scores(mutants_dir: Path) -> list[str]:
    """One line per module with at least one tested mutant: `module: score (caught of tested)`."""
    lines = []
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        codes = Counter(json.loads(meta.read_text()).get("exit_code_by_key", {}).values())
        tested = sum(n for code, n in codes.items() if code is not None and code not in SKIPPED)
        if not tested:
            continue
        caught = sum(n for code, n in codes.items() if code in KILLED or code in TIMED_OUT)
        survived = sum(n for code, n in codes.items() if code in SURVIVED)
        no_tests = sum(n for code, n in codes.items() if code in NO_TESTS)
        module = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
        lines.append(
            f"  {module}: {100.0 * caught / tested:.1f}% ({caught} of {tested} killed;"
            f" {survived} survived, {no_tests} without tests)"
        )
    return lines


def main(path: str) -> int:
    stats = json.loads(Path(path).read_text())
    verdicts = ("killed", "survived", "no_tests", "skipped", "suspicious", "timeout", "segfault")
    verdicts += ("check_was_interrupted_by_user",)
    # mutmut's total also counts mutants a filtered run (`mutmut run "scanner.results*"`) never ran.
    not_checked = stats["total"] - sum(stats.get(v, 0) for v in verdicts)
    tested = stats["total"] - stats.get("skipped", 0) - not_checked
    caught = stats["killed"] + stats.get("timeout", 0)
    score = 100.0 * caught / tested if tested else 0.0
    print(
        f"mutation score: {score:.1f}% ({caught} of {tested} mutants killed; {stats['survived']} survived,"
        f" {stats.get('no_tests', 0)} without tests, {stats.get('timeout', 0)} timed out;"
        f" {not_checked} not run)"
    )
    lines = module_scores(Path(path).parent)
    if lines:
        print("per module (mutants tested by this or an earlier run):")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
