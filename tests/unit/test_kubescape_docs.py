"""The figures docs/kubescape.md quotes about kubescape's binary are the stored results' figures.

The table between the markers in docs/kubescape.md is `ksbench kubescape table` over every bench
stored under reports/kubescape/ (each folder's results.json); it is rendered again here from those
files and must match byte for byte, so a figure in the docs cannot drift from the results.
"""

from __future__ import annotations

from pathlib import Path

from harness import results
from harness.report import kubescape_table

REPO = Path(__file__).resolve().parents[2]
STORED = REPO / "reports" / "kubescape"
DOC = REPO / "docs" / "kubescape.md"
START, END = "<!-- kubescape-table:start -->\n", "<!-- kubescape-table:end -->"


def _stored() -> list[Path]:
    return sorted(path.parent for path in STORED.glob("*/*/results.json"))


def test_every_stored_bench_has_its_verdict_and_the_commands_that_made_it() -> None:
    folders = _stored()
    assert folders, "reports/kubescape/ holds no bench"
    for folder in folders:
        assert (folder / "verdict.txt").is_file(), folder
        assert "ksbench" in (folder / "commands.txt").read_text(), folder


def test_the_docs_table_is_the_stored_results_rendered() -> None:
    folders = _stored()
    entries = [
        kubescape_table.Entry(f.relative_to(STORED).as_posix(), results.load(f / "results.json"))
        for f in folders
    ]
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, "docs/kubescape.md lost its table markers"
    quoted = text.split(START, 1)[1].split(END, 1)[0]
    assert quoted == kubescape_table.render(entries), (
        "regenerate with `ksbench kubescape table reports/kubescape/*/* --root reports/kubescape`"
    )
