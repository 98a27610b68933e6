"""Fixtures of the parity suite; the scan helpers live in parity_scan.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenarios.format import load_scenario
from harness.scenarios.manifests import render


@pytest.fixture(scope="session")
def rendered_adversarial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The adversarial scenario as the files backend serves it: duplicated objects included."""
    out = tmp_path_factory.mktemp("adversarial")
    render(load_scenario("adversarial"), out, with_duplicates=True)
    return out
