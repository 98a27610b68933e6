"""The shipped scenarios' objects fall inside the real ranges documented in scenarios/README.md.

The ranges are read from the README's table, so the documentation and the check cannot drift.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from harness.scenarios.format import load_scenario, scenarios_dir
from harness.scenarios.objects import generate
from harness.scenarios.stats import HELM_RELEASE_ROW, KindStats, ScenarioStats, scenario_stats

_ROW = re.compile(
    r"^\| (median bytes|p90 bytes|max bytes|managedFields share|last-applied share) \| ([^|]+?) \| "
    r"([\d,.]+) \| ([\d,.]+) \|"
)


def documented_ranges() -> list[tuple[str, str, float, float]]:
    text = (scenarios_dir() / "README.md").read_text()
    rows = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            what, kind, low, high = match.groups()
            rows.append((what, kind.strip(), float(low.replace(",", "")), float(high.replace(",", ""))))
    return rows


def _measure(stats: KindStats, what: str) -> float:
    return {
        "median bytes": stats.median_bytes,
        "p90 bytes": stats.p90_bytes,
        "max bytes": stats.max_bytes,
        "managedFields share": stats.share(stats.managed_fields_bytes),
        "last-applied share": stats.share(stats.last_applied_bytes),
    }[what]


def _check(stats: ScenarioStats) -> None:
    ranges = documented_ranges()
    assert len(ranges) >= 10, "the README's table of real ranges was not found"
    for what, kind, low, high in ranges:
        kind_stats = stats.kind(kind)
        assert kind_stats is not None, f"{stats.scenario} has no {kind}"
        value = _measure(kind_stats, what)
        assert low <= value <= high, f"{stats.scenario}: {kind} {what} = {value} is outside [{low}, {high}]"
    for kind_stats in stats.kinds:
        # Every generated object has a manager, so every one carries managedFields.
        assert kind_stats.with_managed_fields == kind_stats.count, kind_stats.kind
    assert stats.kind(HELM_RELEASE_ROW) and stats.kind("CustomResourceDefinition")


def test_medium_falls_inside_the_documented_real_ranges() -> None:
    _check(scenario_stats("medium", generate(load_scenario("medium"))))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["large", "threshold", "huge"])
def test_large_scenarios_fall_inside_the_documented_real_ranges(name: str) -> None:
    _check(scenario_stats(name, generate(load_scenario(name))))


def test_compact_keeps_the_small_shape_and_the_misconfigurations() -> None:
    # Without CRDs and custom resources the two shapes hold the same kind counts, object for object.
    realistic = generate(dataclasses.replace(load_scenario("small"), crds=0, custom_resources=0))
    compact = generate(load_scenario("small", compact=True))
    assert not any("managedFields" in o["metadata"] for o in compact)
    assert all("managedFields" in o["metadata"] for o in realistic)
    # The realistic layer adds fields; every security-relevant one of the compact pods is unchanged.
    by_key = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in realistic}
    for pod in (o for o in compact if o["kind"] == "Pod"):
        twin = by_key[("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])]
        for key in (
            "hostNetwork",
            "hostPID",
            "hostIPC",
            "automountServiceAccountToken",
            "serviceAccountName",
        ):
            assert twin["spec"].get(key) == pod["spec"].get(key)
        for mine, theirs in zip(twin["spec"]["containers"], pod["spec"]["containers"], strict=True):
            for key in ("image", "securityContext", "resources", "imagePullPolicy"):
                assert mine[key] == theirs[key]
    assert Path(scenarios_dir() / "README.md").is_file()


def test_objects_stay_under_the_api_servers_limit() -> None:
    stats = scenario_stats("medium", generate(load_scenario("medium")))
    assert max(k.max_bytes for k in stats.kinds) < 1_048_576
