"""The report reader: loads a ksbench JSON report and checks its format version.

What the harness (and anyone outside the scanner) reads reports with. Must not import the scan
pipeline: reading a report never loads the engine, the sources or the policies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FORMAT_VERSION = "ksbench-report/1"
# format_version history: ksbench-report/1 — first version (kubescape v2 shape + metadata.counters).


class ReportError(ValueError):
    """A file that is not a ksbench report of a version this code reads."""


def load_report(path: Path) -> dict[str, Any]:
    """Read a JSON report; a missing or other format_version raises ReportError with what to do."""
    try:
        report: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not a readable JSON report: {exc}") from exc
    version = report.get("format_version") if isinstance(report, dict) else None
    if version != FORMAT_VERSION:
        raise ReportError(
            f"{path}: report format {version!r}, this ksbench reads {FORMAT_VERSION!r}: scan again with this version"
        )
    return report
