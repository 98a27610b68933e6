"""The docs hold together: every relative link in README.md and docs/ resolves (file and heading),
and no command's help text carries a combination count written by hand (they follow the phases)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from harness import results
from harness.commands import main as commands
from scanner.phases import PHASE_NAMES, describe_named_sets

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "scenarios").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [a or b for a, b in LINK.findall(text)]


def _broken(page: Path) -> list[str]:
    broken = []
    for link in _links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):
            continue  # a URL: not ours to check offline
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link} (no such file)")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link} (no such heading)")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert not _broken(page), f"{page.relative_to(ROOT)}: {_broken(page)}"


def test_the_link_check_finds_a_broken_link_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# The Plan's `five` criteria – read\n")
    page = tmp_path / "a.md"
    page.write_text(
        "[ok](b.md#the-plans-five-criteria--read) [gone](c.md) [bad](b.md#nope) [web](https://x.y/z)\n"
        "```\n[in code](ignored.md)\n```\n"
    )
    assert _broken(page) == ["c.md (no such file)", "b.md#nope (no such heading)"]


def test_the_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 350, f"README.md has {lines} lines: move depth into docs/"


def _helps(parser: argparse.ArgumentParser) -> list[str]:
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                texts += _helps(sub)
    return texts


def test_help_texts_count_combinations_from_the_phases(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = describe_named_sets()
    monkeypatch.setitem(PHASE_NAMES, max(PHASE_NAMES) + 1, "no-op (test)")
    results.phases_of.cache_clear()
    try:
        helps = " ".join(" ".join(_helps(commands.build_parser())).split())
    finally:
        results.phases_of.cache_clear()
    counted = describe_named_sets()
    assert counted != shipped
    stale = [c for c in re.findall(r"\w+ \(\d+\)", shipped) if c not in counted]
    found = [c for c in stale if c in helps]
    assert not found, f"help texts carry counts written by hand: {found}"
    assert re.search(r"\b(64|14) combinations\b", helps) is None
    assert "key (" + str(2 + 2 * len(PHASE_NAMES)) + ")" in helps  # the counts that are there follow
