"""The Phases value: which of the plan's optimizations, and which candidates beyond it, are on.

One parser and one canonical spelling (`baseline`, `all`, `P1+P3+P5`, `all+X1`, `P5+X2`) used in
every output. The plan's phases are the numbers of PHASE_NAMES (P1–P6 today) and `all` means every
one of them; the candidates beyond the plan are X1, X2, … (EXTRA_NAMES) so nobody mistakes one for
the plan's. Adding a phase is a line in PHASE_NAMES: the key set, the covering array, `all` and
every count follow. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PHASE_NAMES: dict[int, str] = {
    1: "compiled-rule cache",
    2: "containers pre-sized from the collected count",
    3: "set-based de-duplication",
    4: "match-grouping cache",
    5: "streaming in batches",
    6: "early release of objects",
}
# Candidates beyond the plan (docs/findings.md: "Beyond the plan"); never part of `all`.
EXTRA_NAMES: dict[int, str] = {
    1: "fields no rule reads dropped before evaluation",
    2: "results streamed to the report",
    3: "Go garbage collector target lowered (GOGC)",
    4: "RBAC joins evaluated per subject group",
    5: "namespace-local joins evaluated per namespace group",
}
ENV_VAR = "KSBENCH_PHASES"
# X3: the OPA binding's Go runtime reads GOGC once, from the environment the process started with
# (setting it from Python afterwards does not reach it), so X3 is an environment for the scanner.
X3_ENVIRONMENT: dict[str, str] = {"GOGC": "25"}
CANDIDATE_ENVIRONMENTS: dict[int, dict[str, str]] = {3: X3_ENVIRONMENT}


class PhasesError(ValueError):
    """A phases spelling that does not parse."""


def _spell_numbers(prefix: str, numbers: dict[int, str]) -> str:
    return ", ".join(f"{prefix}{n}" for n in sorted(numbers))


@dataclass(frozen=True)
class Phases:
    """The plan's phases that are on, and the candidates beyond it: two sets of numbers.

    Data, not one field per phase: a phase is its number in PHASE_NAMES, and every count, the
    `all` combination, the key set and the covering array follow from that table.
    """

    plan: frozenset[int] = frozenset()  # numbers of PHASE_NAMES
    beyond: frozenset[int] = frozenset()  # numbers of EXTRA_NAMES (X1, X2, …)

    def __post_init__(self) -> None:
        bad = sorted(n for n in self.plan if n not in PHASE_NAMES)
        if bad:
            raise PhasesError(f"no phase {bad[0]}: phases are {_spell_numbers('P', PHASE_NAMES)}")
        bad = sorted(n for n in self.beyond if n not in EXTRA_NAMES)
        if bad:
            raise PhasesError(f"no candidate X{bad[0]}: candidates are {_spell_numbers('X', EXTRA_NAMES)}")

    @classmethod
    def of(cls, numbers: Iterable[int], extras: Iterable[int] = ()) -> Phases:
        return cls(frozenset(numbers), frozenset(extras))

    @classmethod
    def all(cls) -> Phases:
        """Every phase of the plan, no candidate (the `all` combination)."""
        return cls(frozenset(PHASE_NAMES))

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

    def has(self, number: int) -> bool:
        """Whether the plan's phase `number` is on (P1 is 1)."""
        return number in self.plan

    def has_candidate(self, number: int) -> bool:
        """Whether the candidate X`number` is on."""
        return number in self.beyond

    @property
    def numbers(self) -> tuple[int, ...]:
        """The plan's phases that are on, in order (candidates are `extras`)."""
        return tuple(sorted(self.plan))

    @property
    def extras(self) -> tuple[int, ...]:
        """The candidates beyond the plan that are on: 1 for X1, …"""
        return tuple(sorted(self.beyond))

    def __str__(self) -> str:
        plan = ["all"] if self.plan == frozenset(PHASE_NAMES) else [f"P{n}" for n in self.numbers]
        parts = plan + [f"X{n}" for n in self.extras]
        return "+".join(parts) or "baseline"

    def runtime_environment(self) -> dict[str, str]:
        """Variables the scanner's process must start with for these phases (X3's Go GC target)."""
        return {k: v for n in self.extras for k, v in CANDIDATE_ENVIRONMENTS.get(n, {}).items()}

    def without(self, number: int) -> Phases:
        return Phases(self.plan - {number}, self.beyond)

    def plan_only(self) -> Phases:
        """The same plan phases with no candidate: what the plan's verdict is judged on."""
        return Phases(self.plan)


BASELINE = Phases()
ALL = Phases.all()  # the plan as shipped; code that must follow a registered phase calls Phases.all()


def all_combinations() -> Iterator[Phases]:
    """Every combination of the plan's phases (2 ** phases), baseline first, then by number of phases."""
    for size in range(len(PHASE_NAMES) + 1):
        for chosen in itertools.combinations(sorted(PHASE_NAMES), size):
            yield Phases.of(chosen)


def key_combinations() -> list[Phases]:
    """baseline, each phase alone, all but one, all: 2 + 2 × phases combinations."""
    everything = Phases.all()
    alone = [Phases.of({n}) for n in sorted(PHASE_NAMES)]
    all_but_one = [everything.without(n) for n in sorted(PHASE_NAMES)]
    return [BASELINE, *alone, *all_but_one, everything]


def _pairwise_columns(phases: int) -> list[frozenset[int]]:
    """One column per phase: the rows (1 … m) that turn it on, each holding row 1 and `size` others.

    m is the smallest with enough distinct columns. Two distinct columns of one size both hold
    row 1 (on/on) and never contain each other (on/off, off/on); row 0 is in none (off/off).
    """
    m = 1
    while math.comb(m - 1, (m - 1) // 2) < phases:
        m += 1
    others = itertools.combinations(range(2, m + 1), (m - 1) // 2)
    return [frozenset({1, *rest}) for rest in itertools.islice(others, phases)]


def pairwise_combinations() -> list[Phases]:
    """A pairwise covering array of the plan's phases: every pair of phases in all four on/off
    settings. Row 0 is baseline, row 1 all; for six phases 6 rows: baseline, all, P1+P2+P3,
    P1+P4+P5, P2+P4+P6, P3+P5+P6."""
    numbers = sorted(PHASE_NAMES)
    columns = _pairwise_columns(len(numbers))
    rows = range(1 + max((max(c) for c in columns), default=0))
    return [Phases.of({n for n, column in zip(numbers, columns, strict=True) if r in column}) for r in rows]


NAMED_SETS = ("pairwise", "key", "all")  # names of combination sets `--combinations` accepts


def named_set(name: str) -> list[Phases]:
    if name == "pairwise":
        return pairwise_combinations()
    if name == "key":
        return key_combinations()
    if name == "all":
        return list(all_combinations())
    raise PhasesError(f"no set of combinations {name!r}: {', '.join(NAMED_SETS)}")


def describe_named_sets(names: Iterable[str] = NAMED_SETS) -> str:
    """`pairwise (6), key (14), all (64)`, counted from the phases registered: for help texts."""
    return ", ".join(f"{name} ({len(named_set(name))})" for name in names)


def parse_combinations(text: str) -> list[Phases]:
    """A named set (`describe_named_sets`: pairwise, key, all, also spelled as its count) or a
    `;`-separated list such as `baseline;1;1,3,5;all+X1`."""
    spelled = text.strip().lower()
    if spelled in NAMED_SETS:
        return named_set(spelled)
    if spelled == str(2 ** len(PHASE_NAMES)):
        return list(all_combinations())
    chosen = [Phases.parse(part) for part in spelled.split(";") if part.strip()]
    if not chosen:
        raise PhasesError("no combination given")
    return list(dict.fromkeys(chosen))
