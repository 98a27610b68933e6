"""Parity on every shipped scenario: each combination, worker count and control order reports
exactly what the baseline reports (scanner.parity.digest; on a mismatch, scanner.parity.differences).

On every run: small over the key combinations × 1 and 2 workers × shuffled control order; medium
and adversarial over the riskiest key combinations (one OPA scan costs them seconds). Marked slow:
the rest of the key combinations for medium and adversarial, threshold and large, and all 64.

The adversarial scenario is scanned as the embedded API server serves it: the rendered manifests
(duplicated objects included), Widgets under v1 and v1beta1 with one uid, the Ingress LIST
forbidden (a SourceProblem for the kind, no Ingress objects), and its exceptions file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from parity_scan import adversarial_exceptions, assert_parity, scan_objects, scan_source, scenario_objects

from scanner.parity import violations
from scanner.phases import ALL, BASELINE, Phases, all_combinations, key_combinations
from scanner.sources import Page, Source, SourceProblem
from scanner.sources.files import FileSource

KEY = key_combinations()
# Default-run subset for the scenarios whose scan costs seconds: streaming alone, everything but
# streaming (whole-cluster P6 release), everything.
RISKY = [Phases.parse("5"), ALL.without(5), ALL]
FORBIDDEN = SourceProblem(
    "/apis/networking.k8s.io/v1/ingresses",
    "LIST Ingress failed: 403 Forbidden",
    "Ingress",
    "networking.k8s.io",
)


class EmbeddedLikeSource(Source):
    """The rendered adversarial manifests, served like the embedded API server serves them."""

    def __init__(self, manifest_dir: Path) -> None:
        self._files = FileSource([manifest_dir])
        self.problems = []
        self.description = "adversarial, embedded-server shape"

    def pages(self) -> Iterator[Page]:
        for page in self._files.pages():
            kept = [o for o in page.objects if o["kind"] != "Ingress"]
            extra = []
            for obj in kept:
                if obj["kind"] == "Widget":
                    beta = json.loads(json.dumps(obj))
                    beta["apiVersion"] = beta["apiVersion"].replace("/v1", "/v1beta1")
                    extra.append(beta)
            if kept or extra:
                yield Page(tuple(kept + extra))
        self.problems.append(FORBIDDEN)


def _scan(name: str, phases: Phases, rendered: Path | None, **kw: Any) -> dict[str, Any]:
    if name == "adversarial":
        assert rendered is not None
        return scan_source(EmbeddedLikeSource(rendered), phases, exceptions=adversarial_exceptions(), **kw)
    return scan_objects(scenario_objects(name), phases, page_size=500, **kw)


@functools.cache
def _baseline_cached(name: str, engine_name: str, rendered: Path | None) -> str:
    return json.dumps(_scan(name, BASELINE, rendered, engine_name=engine_name))


def baseline(name: str, engine_name: str, rendered: Path | None = None) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(_baseline_cached(name, engine_name, rendered))
    return report


def check(
    name: str, combos: list[Phases], engine_name: str, rendered: Path | None, variants: list[tuple[int, str]]
) -> None:
    base = baseline(name, engine_name, rendered)
    for i, combo in enumerate(combos):
        for workers, order in variants or [(1 + i % 2, f"shuffled:{i}")]:
            got = _scan(name, combo, rendered, engine_name=engine_name, workers=workers, control_order=order)
            assert_parity(
                base, got, f"scenario {name}, {combo}, workers={workers}, {order}, engine {engine_name}"
            )


@pytest.fixture(scope="module")
def rendered(rendered_adversarial: Path) -> Path:
    return rendered_adversarial


# -- every run --------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", KEY, ids=str)
def test_small_key_combinations_workers_and_order(combo: Phases) -> None:
    check("small", [combo], "regorus", None, [(1, "sorted"), (1, "shuffled:7"), (2, "shuffled:11")])


def test_small_with_opa() -> None:
    check("small", [Phases.parse("1,4"), ALL], "opa", None, [(2, "shuffled:3")])


def test_medium_risky_combinations() -> None:
    check("medium", RISKY, "opa", None, [])


def test_adversarial_risky_combinations(rendered: Path) -> None:
    check("adversarial", RISKY, "opa", rendered, [])


def test_adversarial_report_shows_its_cases(rendered: Path) -> None:
    """The fixture really contains what it is for (else parity on it proves little)."""
    report = baseline("adversarial", "opa", rendered)
    controls = report["summaryDetails"]["controls"]
    assert (
        controls["C-9102"]["status"] == "skipped"
        and "403 Forbidden" in controls["C-9102"]["statusInfo"]["info"]
    )
    widgets = [r["resourceID"] for r in report["resources"] if "/Widget/" in r["resourceID"]]
    assert widgets and all("/v1/" in w for w in widgets)  # v1beta1 copies counted once, as v1
    excepted = [
        (r["resourceID"], c["controlID"])
        for r in report["results"]
        for c in r["controls"]
        if c["status"].get("subStatus") == "w/exceptions"
    ]
    assert len(excepted) >= 3
    assert controls["C-0187"]["status"] == "failed" and controls["C-0035"]["status"] == "failed"


# -- slow -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["medium", "adversarial"])
def test_key_combinations_one_and_two_workers(name: str, rendered: Path) -> None:
    rest = [c for c in KEY if c not in RISKY and c != BASELINE]
    check(
        name, rest, "opa", rendered if name == "adversarial" else None, [(1, "shuffled:5"), (2, "shuffled:6")]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["threshold", "large"])
def test_big_scenarios_key_combinations(name: str) -> None:
    check(name, [c for c in KEY if c != BASELINE], "opa", None, [])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["small", "medium", "adversarial"])
def test_all_64_combinations(name: str, rendered: Path) -> None:
    engine_name = "regorus" if name == "small" else "opa"
    combos = [c for c in all_combinations() if c != BASELINE]
    check(name, combos, engine_name, rendered if name == "adversarial" else None, [])


# -- objects that come back after release -----------------------------------------------------


class ComingBackSource(EmbeddedLikeSource):
    """The adversarial objects, then copies of what the scanner has released by then: every Widget
    again under v1beta1 (one object, a second API version) and the first ConfigMap pages again (a
    re-list after an expired continue token), both after every other page."""

    def pages(self) -> Iterator[Page]:
        widgets: list[dict[str, Any]] = []
        config_maps: list[dict[str, Any]] = []
        for page in super().pages():
            first = [o for o in page.objects if "/v1beta1" not in o["apiVersion"]]
            widgets += [o for o in first if o["kind"] == "Widget"]
            config_maps += [o for o in first if o["kind"] == "ConfigMap"][: max(0, 20 - len(config_maps))]
            yield Page(tuple(first))
        # As the API server serves it: only the top-level apiVersion changes (managedFields keep theirs).
        beta = [{**json.loads(json.dumps(w)), "apiVersion": "ksbench.example.com/v1beta1"} for w in widgets]
        yield Page(tuple(beta))
        yield Page(tuple(json.loads(json.dumps(config_maps))))


@pytest.mark.parametrize(
    "combo",
    [
        ALL,
        pytest.param(Phases.parse("5"), marks=pytest.mark.slow),
        pytest.param(Phases.parse("5,6"), marks=pytest.mark.slow),
    ],
    ids=str,
)
def test_adversarial_objects_that_come_back_after_release_are_known(combo: Phases, rendered: Path) -> None:
    def scan(phases: Phases, **kw: Any) -> dict[str, Any]:
        return scan_source(
            ComingBackSource(rendered),
            phases,
            exceptions=adversarial_exceptions(),
            audit=True,
            engine_name="opa",
            **kw,
        )

    base = scan(BASELINE)
    got = scan(combo, batch_size=7, workers=2)
    assert violations(base, got) == []  # per-kind counts, resourceCount, no identity evaluated twice
    counters = got["metadata"]["counters"]
    # The copies came after their first copies were released (streamed in batches of 7) and were dropped.
    assert counters["objects_released"] > 0 and counters["duplicates_dropped"] >= 26
    assert not [p for p in got["metadata"]["problems"] if "conflicting" in p["reason"]]  # copies, not twins
    assert got["metadata"]["audit"]["repeated_evaluations"] == 0
    assert "ksbench.example.com/v1beta1/Widget" not in got["metadata"]["audit"]["kind_counts"]
    assert_parity(base, got, f"adversarial with objects coming back, {combo}")
