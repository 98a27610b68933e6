"""The report reader: loads a ksbench JSON report and checks its format version; or, by its
shape, a report kubescape itself wrote (scanner.kubescape_report), for parity between builds.

What the harness (and anyone outside the scanner) reads reports with. Must not import the scan
pipeline: reading a report never loads the engine, the sources or the policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner import kubescape_report, parity
from scanner.bounded import MIB, read_json_bounded

FORMAT_VERSION = "ksbench-report/1"
# A report of the huge scenario (50,000 objects, raw resources redacted) is a few hundred MB at most.
REPORT_MAX_BYTES = 1024 * MIB
# format_version history: ksbench-report/1 — first version (kubescape v2 shape + metadata.counters).


class ReportError(ValueError):
    """A file that is not a ksbench report of a version this code reads."""


def _read_json(path: Path) -> Any:
    try:
        return read_json_bounded(Path(path), REPORT_MAX_BYTES, "report")
    except OSError as exc:
        raise ReportError(f"{path}: not a readable JSON report: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # too large, not UTF-8, not JSON, nested too deeply
        raise ReportError(f"{path}: not a readable JSON report: {exc}") from exc


def load_report(path: Path) -> dict[str, Any]:
    """Read a JSON report; a missing or other format_version raises ReportError with what to do."""
    report: dict[str, Any] = _read_json(path)
    version = report.get("format_version") if isinstance(report, dict) else None
    if version is None:
        raise ReportError(f"{path}: not a ksbench report (no format_version at the top)")
    if version != FORMAT_VERSION:
        raise ReportError(
            f"{path}: report format {version!r}, this ksbench reads {FORMAT_VERSION!r}: scan again with this version"
        )
    return report


@dataclass(frozen=True)
class Findings:
    """A report of either shape, with the schema it was read as and the normaliser that fits it."""

    schema: str
    report: dict[str, Any]
    normaliser: parity.Normaliser

    def digest(self) -> str:
        return parity.digest(self.report, self.normaliser)


def load_findings(path: Path, ignoring: tuple[str, ...] = ()) -> Findings:
    """A ksbench report (by its format_version) or a kubescape one (by its shape); else ReportError.

    `ignoring`: fields (scanner.parity.STRIPPABLE) taken out of the raw resources before anything
    is compared, for a comparison across a cluster and its stripped copy.
    """
    data = _read_json(path)
    if kubescape_report.is_kubescape_report(data):
        return Findings(
            kubescape_report.SCHEMA, parity.without_raw_fields(data, ignoring), kubescape_report.normalise
        )
    if not isinstance(data, dict) or "format_version" not in data:
        raise ReportError(
            f"{path}: JSON, but not a report: neither a ksbench report (no format_version) nor"
            " kubescape's (no summaryDetails object and results list at the top)"
        )
    return Findings(FORMAT_VERSION, parity.without_raw_fields(load_report(path), ignoring), parity.normalise)


@dataclass(frozen=True)
class Comparison:
    """Two reports compared: their schemas and the minimal diff ([] when their findings are identical)."""

    baseline_schema: str
    candidate_schema: str
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def compare_files(baseline: Path, candidate: Path, limit: int = 20) -> Comparison:
    """Two report files of either kind, by digest, then the minimal diff; ReportError for a file that is not one."""
    a, b = load_findings(baseline), load_findings(candidate)
    if a.schema == b.schema and a.digest() == b.digest():
        return Comparison(a.schema, b.schema, ())
    found = differences(a, b, limit)
    # Digests differ but nothing walks apart: say so rather than print an empty diff.
    return Comparison(
        a.schema, b.schema, tuple(found or ["report: canonical forms differ in a way no field names"])
    )


def differences(baseline: Findings, candidate: Findings, limit: int = 10) -> list[str]:
    """The minimal diff, one line each; reports of two different schemas differ in that first."""
    if baseline.schema != candidate.schema:
        return [f"report: schema: baseline {baseline.schema!r} vs candidate {candidate.schema!r}"]
    found = parity.differences(baseline.report, candidate.report, limit, baseline.normaliser)
    return [str(d) for d in found]


def violations(baseline: Findings | None, candidate: Findings) -> list[str]:
    """The parity invariants beside the digest; only ksbench reports record what they check."""
    if candidate.schema != FORMAT_VERSION:
        return []
    base = baseline.report if baseline is not None and baseline.schema == FORMAT_VERSION else None
    return parity.violations(base, candidate.report)
