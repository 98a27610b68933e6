"""One `Reporter` protocol for every output format, and the registry the commands choose from.

A reporter turns a `Subject` (stored results, the verdict judged on them, where they live and
where the output goes) into text. Formats: text (verdict.txt), markdown (a PR comment), json
(`ksbench-verdict/1`), html (self-contained, reads the profilers' artefacts), benchstat and
pytest_benchmark (exports). Adding a format: a module with a reporter, and a line in REPORTERS.

Must not: judge (the Subject carries the verdict), run anything, or import matplotlib unless the
html reporter is asked for.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.judge import views
from harness.judge.gates import Verdict
from harness.report import artefacts, benchstat, markdown, pytest_benchmark, text
from harness.report import json as verdict_json
from harness.results import Suite


@dataclass(frozen=True)
class Subject:
    suite: Suite
    verdict: Verdict
    results_dir: Path  # the bench's --out: artefact paths are relative to it
    output: Path | None = None  # where the rendered file goes (links are made relative to it)
    # Artefact name → what a reader calls it (the instruments' linked artefacts, from the registry).
    link_kinds: Mapping[str, str] = field(default_factory=dict)

    def link_prefix(self) -> str:
        """The results directory as seen from the output file's directory."""
        where = (self.output.parent if self.output is not None else self.results_dir).resolve()
        return os.path.relpath(self.results_dir.resolve(), where)


class Reporter(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def file_name(self) -> str:
        """The file it is written to inside a bench's --out."""
        ...

    def render(self, subject: Subject) -> str: ...


@dataclass(frozen=True)
class _Text:
    name: str = "text"
    file_name: str = "verdict.txt"

    def render(self, subject: Subject) -> str:
        return text.render(subject.verdict, subject.suite)


@dataclass(frozen=True)
class _Markdown:
    name: str = "markdown"
    file_name: str = "verdict.md"

    def render(self, subject: Subject) -> str:
        return markdown.render(subject.verdict, subject.suite)


@dataclass(frozen=True)
class _Json:
    name: str = "json"
    file_name: str = "verdict.json"

    def render(self, subject: Subject) -> str:
        data = verdict_json.render(subject.verdict, subject.suite)
        return json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class _Html:
    name: str = "html"
    file_name: str = "report.html"

    def render(self, subject: Subject) -> str:
        from harness.report import html  # matplotlib: imported only when HTML is asked for

        profile = artefacts.load(subject.results_dir, subject.suite, subject.link_kinds)
        view = views.report_view(subject.suite, subject.verdict, profile, subject.link_prefix())
        return html.render(view)


@dataclass(frozen=True)
class _Benchstat:
    name: str = "benchstat"
    file_name: str = "benchstat.txt"

    def render(self, subject: Subject) -> str:
        return benchstat.render(subject.suite)


@dataclass(frozen=True)
class _PytestBenchmark:
    name: str = "pytest_benchmark"
    file_name: str = "pytest-benchmark.json"

    def render(self, subject: Subject) -> str:
        return json.dumps(pytest_benchmark.render(subject.suite), indent=1, sort_keys=True) + "\n"


REPORTERS: dict[str, Reporter] = {
    one.name: one for one in (_Text(), _Markdown(), _Json(), _Html(), _Benchstat(), _PytestBenchmark())
}


def get(name: str) -> Reporter:
    try:
        return REPORTERS[name]
    except KeyError:
        raise ValueError(f"unknown report format {name!r}: choose from {', '.join(REPORTERS)}") from None
