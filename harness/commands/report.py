"""`ksbench report RESULTS [--format html|markdown|json] [--output FILE]`: render stored results.

RESULTS is a results.json written by `ksbench bench`, or the directory holding it. The verdict is
judged again (harness.judge.gates) exactly as `ksbench gate` does; the HTML report also reads the
profilers' artefacts in that directory (harness.report.artefacts) and links to them relative to FILE.
Without --output the report goes to stdout (html: to report.html next to results.json).
Exit code: 0 when the report was written, whatever the verdict (`ksbench gate` judges);
2 unreadable results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness import results
from harness.commands.gate import load
from harness.exit_codes import EXIT_OK
from harness.judge import gates, views
from harness.report import artefacts, markdown
from harness.report import json as json_reporter
from harness.run import runner

FORMATS = ("html", "markdown", "json")
HTML_DEFAULT_NAME = "report.html"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report", help="render stored results as self-contained HTML, Markdown (PR comment) or JSON"
    )
    parser.add_argument("results", type=Path, help="results.json from `ksbench bench`, or its directory")
    parser.add_argument("--format", choices=FORMATS, default="html", help="default html")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help=f"file to write (default: stdout; html: {HTML_DEFAULT_NAME} beside the results)",
    )
    parser.set_defaults(handler=run)


def results_dir(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def render(suite: results.Suite, fmt: str, out_dir: Path, output: Path | None) -> str:
    verdict = gates.evaluate(suite)
    if fmt == "markdown":
        return markdown.render(verdict, suite)
    if fmt == "json":
        return (
            json.dumps(json_reporter.render(verdict, suite), indent=1, sort_keys=False, ensure_ascii=False)
            + "\n"
        )
    where = (output.parent if output is not None else out_dir).resolve()
    prefix = os.path.relpath(out_dir.resolve(), where)
    view = views.report_view(suite, verdict, artefacts.load(out_dir, suite), prefix)
    from harness.report import html  # matplotlib: imported only when HTML is asked for

    return html.render(view)


def run(args: argparse.Namespace) -> int:
    suite = runner.mark_late_mismatches(load(args.results))
    out_dir = results_dir(args.results)
    output: Path | None = args.output
    if output is None and args.format == "html":
        output = out_dir / HTML_DEFAULT_NAME
    text = render(suite, args.format, out_dir, output)
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(output)
    print(f"wrote {output}", file=sys.stderr)
    return EXIT_OK
