"""The Phases value: which of the plan's six optimizations, and which candidates beyond it, are on.

One parser and one canonical spelling (`baseline`, `all`, `P1+P3+P5`, `all+X1`, `P5+X2`) used in
every output. The plan's phases are P1–P6 and `all` means those six; the candidates beyond the
plan are X1, X2, … so nobody mistakes one for the plan's. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass

PHASE_NAMES: dict[int, str] = {
    1: "compiled-rule cache",
    2: "containers pre-sized from the collected count",
    3: "set-based de-duplication",
    4: "match-grouping cache",
    5: "streaming in batches",
    6: "early release of objects",
}
# Candidates beyond the plan (README: "Beyond the plan"); never part of `all`.
EXTRA_NAMES: dict[int, str] = {
    1: "fields no rule reads dropped before evaluation",
    2: "results streamed to the report",
    3: "Go garbage collector target lowered (GOGC)",
}
ENV_VAR = "KSBENCH_PHASES"
# X3: the OPA binding's Go runtime reads GOGC once, from the environment the process started with
# (setting it from Python afterwards does not reach it), so X3 is an environment for the scanner.
X3_ENVIRONMENT: dict[str, str] = {"GOGC": "25"}


class PhasesError(ValueError):
    """A phases spelling that does not parse."""


@dataclass(frozen=True, order=True)
class Phases:
    p1: bool = False
    p2: bool = False
    p3: bool = False
    p4: bool = False
    p5: bool = False
    p6: bool = False
    x1: bool = False
    x2: bool = False
    x3: bool = False

    @classmethod
    def of(
        cls, numbers: set[int] | frozenset[int], extras: set[int] | frozenset[int] = frozenset()
    ) -> Phases:
        bad = sorted(n for n in numbers if n not in PHASE_NAMES)
        if bad:
            raise PhasesError(f"no phase {bad[0]}: phases are 1 to 6")
        bad = sorted(n for n in extras if n not in EXTRA_NAMES)
        if bad:
            raise PhasesError(f"no candidate X{bad[0]}: candidates are X1 to X{len(EXTRA_NAMES)}")
        return cls(*(n in numbers for n in PHASE_NAMES), *(n in extras for n in EXTRA_NAMES))

    @classmethod
    def parse(cls, text: str) -> Phases:
        """Parse `baseline`, `none`, `all`, `1,3,5`, `P1+P3+P5`, `p1 p3`, `all+X1` or `5,x2`."""
        spelled = text.strip().lower()
        if spelled in ("", "baseline", "none", "0"):
            return cls()
        numbers: set[int] = set()
        extras: set[int] = set()
        for token in spelled.replace("+", ",").replace(" ", ",").split(","):
            token = token.strip()
            if not token:
                continue
            if token == "all":
                numbers.update(PHASE_NAMES)
                continue
            chosen = extras if token.startswith("x") else numbers
            token = token.removeprefix("x").removeprefix("p")
            if not token.isdigit():
                raise PhasesError(
                    f"cannot read phases {text!r}: use baseline, all, numbers like 1,3,5, or candidates like X1"
                )
            chosen.add(int(token))
        return cls.of(numbers, extras)

    @classmethod
    def from_env(cls, default: str = "baseline") -> Phases:
        return cls.parse(os.environ.get(ENV_VAR, default))

    @property
    def numbers(self) -> tuple[int, ...]:
        """The plan's phases that are on (candidates are `extras`)."""
        flags = (self.p1, self.p2, self.p3, self.p4, self.p5, self.p6)
        return tuple(n for n, on in zip(PHASE_NAMES, flags, strict=True) if on)

    @property
    def extras(self) -> tuple[int, ...]:
        """The candidates beyond the plan that are on: 1 for X1, …"""
        flags = (self.x1, self.x2, self.x3)
        return tuple(n for n, on in zip(EXTRA_NAMES, flags, strict=True) if on)

    def __str__(self) -> str:
        plan = ["all"] if len(self.numbers) == len(PHASE_NAMES) else [f"P{n}" for n in self.numbers]
        parts = plan + [f"X{n}" for n in self.extras]
        return "+".join(parts) or "baseline"

    def runtime_environment(self) -> dict[str, str]:
        """Variables the scanner's process must start with for these phases (X3's Go GC target)."""
        return dict(X3_ENVIRONMENT) if self.x3 else {}

    def without(self, number: int) -> Phases:
        return Phases.of(set(self.numbers) - {number}, set(self.extras))

    def plan_only(self) -> Phases:
        """The same plan phases with no candidate: what the plan's verdict is judged on."""
        return Phases.of(set(self.numbers))


BASELINE = Phases()
ALL = Phases.of(set(PHASE_NAMES))


def all_combinations() -> Iterator[Phases]:
    """All 64 combinations of the plan's phases, baseline first, then by number of phases."""
    for size in range(len(PHASE_NAMES) + 1):
        for chosen in itertools.combinations(PHASE_NAMES, size):
            yield Phases.of(set(chosen))


def key_combinations() -> list[Phases]:
    """baseline, each phase alone, all but one, all: 14 combinations."""
    alone = [Phases.of({n}) for n in PHASE_NAMES]
    all_but_one = [ALL.without(n) for n in PHASE_NAMES]
    return [BASELINE, *alone, *all_but_one, ALL]


# Six distinct 3-element subsets of {1..5}, one per phase: row r of the array turns phase n on iff
# r is in its subset. Two distinct 3-subsets of a 5-set always meet and never contain each other,
# and row 0 is in none, so every pair of phases is seen off/off, on/on, on/off and off/on.
_PAIRWISE_COLUMNS: tuple[frozenset[int], ...] = tuple(
    frozenset(c) for c in ((1, 2, 3), (1, 2, 4), (1, 2, 5), (1, 3, 4), (1, 3, 5), (1, 4, 5))
)


def pairwise_combinations() -> list[Phases]:
    """A pairwise covering array of the six phases in 6 rows: baseline, all, P1+P2+P3, P1+P4+P5,
    P2+P4+P6, P3+P5+P6 (each pair of phases in all four on/off settings)."""
    rows = range(len(PHASE_NAMES))
    return [
        Phases.of({n for n, column in zip(PHASE_NAMES, _PAIRWISE_COLUMNS, strict=True) if r in column})
        for r in rows
    ]


def parse_combinations(text: str) -> list[Phases]:
    """`key`, `pairwise` (6), `all` (the 64), or a `;`-separated list such as `baseline;1;1,3,5;all+X1`."""
    spelled = text.strip().lower()
    if spelled == "key":
        return key_combinations()
    if spelled == "pairwise":
        return pairwise_combinations()
    if spelled in ("all", "64"):
        return list(all_combinations())
    chosen = [Phases.parse(part) for part in spelled.split(";") if part.strip()]
    if not chosen:
        raise PhasesError("no combination given")
    return list(dict.fromkeys(chosen))
