"""`ksbench report RESULTS [--format html|markdown|json] [--output FILE]`: render stored results.

RESULTS is a results.json written by `ksbench bench`, or the directory holding it. The verdict is
judged again exactly as `ksbench gate` does (harness.judge.verdict, power lines included); the HTML report also reads the
profilers' artefacts in that directory (harness.report.artefacts) and links to them relative to FILE.
Without --output the report goes to stdout (html: to report.html next to results.json).
Exit code: 0 when the report was written, whatever the verdict (`ksbench gate` judges);
2 unreadable results.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.exit_codes import EXIT_OK
from harness.judge.verdict import verdict
from harness.report import reporters
from harness.run.instruments import registry

FORMATS = ("html", "markdown", "json")


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
        help=f"file to write (default: stdout; html: {reporters.get('html').file_name} beside the results)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    suite = results.load_given(args.results).with_late_mismatches()
    out_dir = args.results if args.results.is_dir() else args.results.parent
    reporter = reporters.get(args.format)
    output: Path | None = args.output
    if output is None and args.format == "html":
        output = out_dir / reporter.file_name
    subject = reporters.Subject(suite, verdict(suite), out_dir, output, registry.linked_artefacts())
    text = reporter.render(subject)
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    results.write_text_atomic(output, text)
    print(f"wrote {output}", file=sys.stderr)
    return EXIT_OK
