"""Findings stability: does each variant agree with itself before it is compared with the baseline?

An A/A of findings. For every (scenario, combination) the runs that left a report digest are
grouped by digest. A combination whose runs give more than one digest is *nondeterministic*: its
findings change from run to run, whatever the baseline says. One that gives one digest, other than
the baseline's, is a *findings change*. When the baseline itself is nondeterministic nothing can be
compared. The controls involved are the ones named in the stored diffs (run reasons).

Pure: reads stored runs only; never runs anything or reads a report file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from harness.results import BASELINE_COMBINATION, Run, Suite

Kind = Literal["identical", "nondeterministic", "changed", "baseline-nondeterministic", "unread"]
IDENTICAL: Final = "identical"
NONDETERMINISTIC: Final = "nondeterministic"
CHANGED: Final = "changed"
BASELINE_NONDETERMINISTIC: Final = "baseline-nondeterministic"
UNREAD: Final = "unread"  # no report of it was read: nothing to say
# A stored diff line names its control as "control <ID> resource …: field" or "control <ID>: field".
_CONTROL = re.compile(r"\bcontrol (\S+?)(?: resource |: )")


@dataclass(frozen=True)
class DigestGroup:
    digest: str
    runs: tuple[str, ...]  # run labels, in run order


@dataclass(frozen=True)
class VariantFindings:
    scenario: str
    combination: str
    groups: tuple[DigestGroup, ...]  # the first group holds the first run read
    kind: Kind
    controls: tuple[str, ...]  # controls named in the diffs of its differing runs

    @property
    def runs(self) -> int:
        return sum(len(g.runs) for g in self.groups)

    def sentence(self) -> str:
        name = f"{self.scenario} · {self.combination}"
        named = f"; controls {', '.join(self.controls)}" if self.controls else ""
        if self.kind == NONDETERMINISTIC:
            spread = "; ".join(f"{g.digest[:12]}: {', '.join(g.runs)}" for g in self.groups)
            return (
                f"{name}: NONDETERMINISTIC — {len(self.groups)} distinct findings in {self.runs} runs "
                f"({spread}){named}"
            )
        if self.kind == BASELINE_NONDETERMINISTIC and self.combination == BASELINE_COMBINATION:
            return f"{name}: the baseline disagrees with itself ({len(self.groups)} distinct findings in {self.runs} runs){named}: nothing can be compared"
        if self.kind == BASELINE_NONDETERMINISTIC:
            return f"{name}: {len(self.groups)} distinct findings in {self.runs} runs; not compared, the baseline disagrees with itself"
        if self.kind == CHANGED:
            return (
                f"{name}: FINDINGS CHANGE — stable over {self.runs} runs, different from the baseline{named}"
            )
        if self.kind == IDENTICAL:
            return f"{name}: stable over {self.runs} runs, identical to the baseline"
        return f"{name}: no report read"


def controls_named(reasons: Iterable[str]) -> tuple[str, ...]:
    found = (m.group(1) for reason in reasons for m in _CONTROL.finditer(reason))
    return tuple(sorted(set(found)))


def _label(run: Run) -> str:
    return f"{run.instrument} {run.role} r{run.repetition}"


def _groups(runs: list[Run]) -> tuple[DigestGroup, ...]:
    by_digest: dict[str, list[str]] = {}
    for run in runs:
        if run.report_digest is not None:
            by_digest.setdefault(run.report_digest, []).append(_label(run))
    return tuple(DigestGroup(digest, tuple(labels)) for digest, labels in by_digest.items())


def judge(suite: Suite) -> tuple[VariantFindings, ...]:
    """One value per (scenario, combination) that ran, the baseline first in each scenario."""
    out: list[VariantFindings] = []
    for scenario in suite.scenario_names():
        runs = [r for r in suite.runs() if r.scenario == scenario]
        combinations = list(dict.fromkeys([BASELINE_COMBINATION, *(r.combination for r in runs)]))
        base_groups = _groups([r for r in runs if r.combination == BASELINE_COMBINATION])
        reference = suite.reference_digest(scenario)
        for combination in combinations:
            mine = [r for r in runs if r.combination == combination]
            if not mine:
                continue
            groups = _groups(mine)
            controls = controls_named(r.reason for r in mine if r.report_digest != reference)
            kind: Kind
            if not groups:
                kind = UNREAD
            elif len(base_groups) > 1:
                kind = (
                    NONDETERMINISTIC
                    if combination != BASELINE_COMBINATION and len(groups) > 1
                    else BASELINE_NONDETERMINISTIC
                )
            elif len(groups) > 1:
                kind = NONDETERMINISTIC
            elif reference is not None and groups[0].digest != reference:
                kind = CHANGED
            else:
                kind = IDENTICAL
            out.append(VariantFindings(scenario, combination, groups, kind, controls))
    return tuple(out)


def troubled(found: Iterable[VariantFindings]) -> list[VariantFindings]:
    """The values a reader must see: every variant that is not stable and identical."""
    return [f for f in found if f.kind not in (IDENTICAL, UNREAD)]
