"""The HTML report renders in headless Chromium (Debian's `chromium`): screenshot and DOM of the fixture's report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ksbench.cli import main

CHROMIUM = Path("/usr/bin/chromium")
FIXTURE = Path(__file__).parent.parent / "data" / "report"
SECTIONS = (
    "gates",
    "stage-timeline",
    "phases",
    "scaling",
    "memory-timeline",
    "heatmap",
    "cpu-shift",
    "flamegraphs",
    "parity",
    "machine",
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium is not installed (/usr/bin/chromium): apt-get install -y chromium",
    ),
]


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert main(["report", str(FIXTURE), "--output", str(report)]) == 0
    screenshot = tmp_path / "report.png"
    shot = _chromium(
        tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1400,3000", report.as_uri()
    )
    assert screenshot.exists(), f"no screenshot: {shot.stderr[-2000:]}"

    import matplotlib.image

    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (3000, 1400)
    assert pixels[:, :, :3].std() > 0.05, "the screenshot is blank"

    dom = _chromium(tmp_path / "profile", "--dump-dom", report.as_uri()).stdout
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in dom, f"section {anchor} missing from the rendered page"
    assert dom.count("<svg") >= 8
    assert "FAIL" in dom and "PASS" in dom  # the gate table's results
    assert "a gate missed" in dom
