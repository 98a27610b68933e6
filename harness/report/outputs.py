"""A bench's outputs written into its folder: the verdict and exports, and the HTML report.

One function for every command that ends a bench (`ksbench bench`, `ksbench merge`, and benches of
a real kubescape build): judge the suite once (harness.judge.verdict), write verdict.txt, the
exports (benchstat, pytest-benchmark) and report.html beside results.json, and hand back what to
print and the verdict to exit by. The instruments' artefact names are passed in (the run layer
owns them).

Must not: print, run anything, or import matplotlib unless the HTML report is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import results
from harness.judge.gates import Verdict
from harness.judge.verdict import verdict as judge
from harness.report import reporters

EXPORTS = ("text", "benchstat", "pytest_benchmark")  # written beside results.json after every bench


@dataclass(frozen=True)
class Written:
    verdict: Verdict
    verdict_text: str  # the verdict table, as written to verdict.txt (the commands print it)
    files: tuple[Path, ...]  # every file written, in order; report.html last when asked for
    html: Path | None
    results_file: Path  # results.json, which the runs wrote

    def places(self) -> list[str]:
        """Where to look next, one line each (the commands print them on stderr)."""
        return [f"results: {self.results_file}"] + ([f"report: {self.html}"] if self.html else [])


def write_outputs(
    suite: results.Suite,
    out: Path,
    link_kinds: Mapping[str, str],
    *,
    html: bool = True,
    markdown: bool = False,
) -> Written:
    """Judge `suite` and write its verdict, exports, verdict.md (when asked) and report.html into `out`."""
    suite = suite.with_late_mismatches()
    verdict = judge(suite)
    files: list[Path] = []
    verdict_text = ""
    for name in (*EXPORTS, *(("markdown",) if markdown else ())):
        reporter = reporters.get(name)
        rendered = reporter.render(reporters.Subject(suite, verdict, out, None, link_kinds))
        files.append(out / reporter.file_name)
        results.write_text_atomic(files[-1], rendered)
        if name == "text":
            verdict_text = rendered
    page = None
    if html:
        reporter = reporters.get("html")
        page = out / reporter.file_name
        results.write_text_atomic(
            page, reporter.render(reporters.Subject(suite, verdict, out, page, link_kinds))
        )
        files.append(page)
    return Written(verdict, verdict_text, tuple(files), page, out / results.RESULTS_FILE)
