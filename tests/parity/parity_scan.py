"""In-process scans for the parity suite: objects (or a rendered folder) + options → report dict.

The same pipeline as `python -m scanner scan --format json --pin-time` (scanner.cli), without a
process per run: `run_scan` → `report.build` → `report.write_json`, read back as a dict. The
library and engines are loaded once per session; each scan gets a fresh RuleCompiler/Inventory.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.scenarios.format import load_scenario
from harness.scenarios.objects import generate
from scanner.cli import PINNED_TIME
from scanner.engine import Engine, load_engine
from scanner.evaluate import DEFAULT_BATCH_SIZE, LARGE_CLUSTER_SIZE, ScanOptions, ScanState
from scanner.exceptions import PostureException, load_exceptions
from scanner.parity import differences, digest
from scanner.phases import Phases
from scanner.policies import Library, load_library
from scanner.report import ReportContext, write_report_json
from scanner.scan import run_scan
from scanner.sources import Page, Source, SourceProblem
from scanner.sources.files import FileSource

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"


class ListSource(Source):
    """Objects served in pages of `page_size`; `problems_after[n]` are recorded after page n is served.

    A problem after the last page (n == number of pages) models a LIST that fails once some
    other kinds' pages were already read and (with P5) evaluated.
    """

    def __init__(
        self,
        objects: Sequence[dict[str, Any]],
        page_size: int = 50,
        problems_after: dict[int, list[SourceProblem]] | None = None,
    ) -> None:
        self.objects = list(objects)
        self.page_size = max(1, page_size)
        self.problems_after = problems_after or {}
        self.problems = []
        self.description = f"objects: {len(self.objects)} in memory"

    def pages(self) -> Iterator[Page]:
        served = 0
        for start in range(0, len(self.objects), self.page_size):
            self.problems.extend(self.problems_after.get(served, []))
            yield Page(tuple(self.objects[start : start + self.page_size]))
            served += 1
        for n in sorted(self.problems_after):
            if n >= served:
                self.problems.extend(self.problems_after[n])


@functools.cache
def library() -> Library:
    return load_library()


@functools.cache
def engine(name: str) -> Engine:
    return load_engine(name)


@functools.cache
def scenario_objects(name: str) -> tuple[dict[str, Any], ...]:
    return tuple(generate(load_scenario(name)))


@functools.cache
def adversarial_exceptions() -> tuple[PostureException, ...]:
    return tuple(load_exceptions(SCENARIOS_DIR / "adversarial.exceptions.json"))


def scan_source(
    source: Source,
    phases: Phases | str = "baseline",
    *,
    engine_name: str = "regorus",
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    large_cluster_size: int = LARGE_CLUSTER_SIZE,
    control_order: str = "sorted",
    controls: Iterable[str] = (),
    exceptions: Iterable[PostureException] = (),
    with_state: bool = False,
    policy_library: Library | None = None,
    audit: bool = False,
) -> Any:
    """One scan, as the CLI runs it; returns the report dict (and the state when `with_state`)."""
    chosen = phases if isinstance(phases, Phases) else Phases.parse(phases)
    lib = policy_library or library()
    eng = engine(engine_name)
    selected = lib.select(None, list(controls))
    options = ScanOptions(chosen, workers, batch_size, large_cluster_size, control_order, audit)
    state: ScanState = run_scan(source, lib, eng, selected, options)
    try:
        ctx = ReportContext(lib, eng.info, options, (), tuple(exceptions), PINNED_TIME, source.description)
        out = io.StringIO()
        write_report_json(state, ctx, out)
    finally:
        state.inventory.raw.close()
    report: dict[str, Any] = json.loads(out.getvalue())
    return (report, state) if with_state else report


def scan_objects(
    objects: Sequence[dict[str, Any]], phases: Phases | str = "baseline", *, page_size: int = 50, **kw: Any
) -> Any:
    # Deep copies: the pipeline must not depend on (or leak changes into) the caller's objects.
    copied = json.loads(json.dumps(list(objects)))
    return scan_source(ListSource(copied, page_size), phases, **kw)


def scan_paths(paths: Sequence[Path], phases: Phases | str = "baseline", **kw: Any) -> Any:
    return scan_source(FileSource(list(paths)), phases, **kw)


def assert_parity(baseline: dict[str, Any], candidate: dict[str, Any], label: str) -> None:
    """Digests equal, else fail with the smallest diff scanner.parity can name."""
    if digest(baseline) == digest(candidate):
        return
    diff = "\n  ".join(str(d) for d in differences(baseline, candidate, limit=12))
    pytest.fail(f"parity broken: {label}\n  {diff}", pytrace=False)


def result_for(report: dict[str, Any], resource_id: str, control_id: str) -> dict[str, Any] | None:
    for result in report["results"]:
        if result["resourceID"] == resource_id:
            for control in result["controls"]:
                if control["controlID"] == control_id:
                    return control
    return None
