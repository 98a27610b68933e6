"""harness.run.parity: which cases `ksbench parity` makes (the contention rows among them), the
stress library they scan, and the loop's use of the runner's argv, spawner and checks."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.clusters.target import Target
from harness.exit_codes import EnvironmentProblem
from harness.run import parity
from harness.run.parity_plan import STRESS_LARGE_CLUSTER_SIZE, fast_plan, stress_workers


def test_the_fast_plan_adds_the_contention_rows_on_adversarial_only(tmp_path: Path) -> None:
    request = parity.ParityRequest(("adversarial", "edge-2500"), tmp_path, cores=2)
    cases = request.plan("adversarial")
    stress = [c for c in cases if c.tag == "stress"]
    assert [c.combination for c in stress] == ["baseline", "P1", "all"]
    assert stress[0].reference and stress[0].workers == 1  # its own reference: another library
    for case in stress[1:]:
        assert case.workers > 2 and case.repeat > 1 and not case.reference
        assert "--large-cluster-size" in case.scanner_args()
        assert case.large_cluster_size == STRESS_LARGE_CLUSTER_SIZE
    assert {c.policies for c in stress} == {str((tmp_path / parity.STRESS_LIBRARY).resolve())}
    assert not any(c.tag for c in request.plan("edge-2500"))
    no_stress = parity.ParityRequest(("adversarial",), tmp_path, stress=False)
    assert not any(c.tag for c in no_stress.plan("adversarial"))
    assert stress_workers(2) == 8 and stress_workers(16) == 34


def test_the_stress_library_clones_controls_with_their_rules_and_inputs(tmp_path: Path) -> None:
    library = tmp_path / "stress"
    parity.stress_library(parity.own_library(), library, controls=3, clones=2)
    controls = [json.loads(p.read_text()) for p in sorted((library / "controls").glob("*.json"))]
    assert len(controls) == 9
    by_base: dict[str, list[dict[str, object]]] = {}
    for control in controls:
        by_base.setdefault(str(control["controlID"]).rsplit("-S", 1)[0], []).append(control)
    assert len(by_base) == 3
    for copies in by_base.values():
        assert len({json.dumps(c["rulesNames"]) for c in copies}) == 1  # the same rules: one compile key
        assert len({c["controlID"] for c in copies}) == 3
    assert (library / "rules").is_dir() and not (library / "frameworks").exists()


class _Reader:
    """Digests by file content; the invariants broken when a report says so."""

    def digest(self, report: Path) -> str:
        return report.read_text()

    def differences(self, baseline: Path, candidate: Path, limit: int) -> list[str]:
        return [f"report: {baseline.read_text()} vs {candidate.read_text()}"]

    def violations(self, baseline: Path | None, candidate: Path) -> list[str]:
        return ["closes differ"] if "leak" in candidate.read_text() else []


@contextlib.contextmanager
def _target(scenario: str) -> Iterator[Target]:
    yield Target(scenario, 3, ("/manifests",))


def _scanner(tmp_path: Path, body: str) -> tuple[str, ...]:
    script = tmp_path / "scanner.py"
    script.write_text(
        "import os, sys\n"
        "args = sys.argv[1:]\n"
        "out = args[args.index('--output') + 1]\n"
        "phases = args[args.index('--phases') + 1]\n"
        "assert '--audit' in args and os.environ['KSBENCH_TRACEBACK'] == '1'\n"
        "assert os.environ['TMPDIR'].endswith('tmp')\n" + body
    )
    return (str(script),)


def test_the_loop_compares_each_case_with_its_reference_and_stops_at_the_first_failure(
    tmp_path: Path,
) -> None:
    body = "open(out, 'w').write('leak' if phases == 'P1' and '--large-cluster-size' in args else 'same')\n"
    request = parity.ParityRequest(
        ("adversarial",), tmp_path / "out", scanner=_scanner(tmp_path, body), cores=1
    )
    lines: list[str] = []
    outcome = parity.run_parity(request, _target, _Reader(), lines.append)
    assert not outcome.ok and "stress · P1" in outcome.failure and "invariants broken" in outcome.failure
    assert outcome.checked == len(fast_plan()) - 1  # every fast row before the stress rows held
    assert lines[0].startswith("[1/")


def test_the_loop_passes_when_every_report_matches_and_a_failed_reference_is_an_environment_problem(
    tmp_path: Path,
) -> None:
    same = _scanner(tmp_path, "open(out, 'w').write('same')\n")
    request = parity.ParityRequest(("adversarial",), tmp_path / "a", scanner=same, stress=False)
    outcome = parity.run_parity(request, _target, _Reader(), lambda _: None)
    assert outcome.ok and outcome.checked == len(fast_plan()) - 1
    crash = _scanner(tmp_path, "sys.exit(9)\n")
    with pytest.raises(EnvironmentProblem, match="baseline scan of adversarial failed"):
        parity.run_parity(
            parity.ParityRequest(("adversarial",), tmp_path / "b", scanner=crash), _target, _Reader(), print
        )
