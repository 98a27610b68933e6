"""Which scans a parity run makes: the fast plan (a pairwise covering array of the phases, with
the sweep axes spread over its rows) and the explicit grid (combinations × workers × orders).

Owns `ParityCase` (one scan's settings and the scanner arguments they become). Pure: runs,
measures and judges nothing (harness.run.parity runs the cases).
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.phases import pairwise_combinations

# Batch sizes that split every kind of a scenario of a few hundred objects (1: one object per
# batch; 7 and 50: kinds cut mid-way), besides the scanner's default (500).
FAST_BATCH_SIZES = (1, 7, 50)
# Page sizes that put the two API versions of one object, and duplicated objects, in different pages.
FAST_PAGE_SIZES = (2, 3, 7)


@dataclass(frozen=True)
class ParityCase:
    combination: str
    workers: int = 1
    order: str = "sorted"
    batch_size: int | None = None  # None: the scanner's default
    page_size: int | None = None
    # Contention rows: every scope above this size is per namespace (None: the scanner's default).
    large_cluster_size: int | None = None
    repeat: int = 1  # scanned this many times, each report checked
    reference: bool = False  # the report the later cases are compared with (until the next reference)
    policies: str | None = None  # a library to scan with instead of the run's (the stress library)
    tag: str = ""  # names a group of cases in labels and folders, e.g. "stress"

    @property
    def label(self) -> str:
        parts = [self.tag] if self.tag else []
        parts += [self.combination, f"workers={self.workers}", f"order={self.order}"]
        parts += [f"batch={self.batch_size}"] if self.batch_size else []
        parts += [f"page={self.page_size}"] if self.page_size else []
        parts += [f"large={self.large_cluster_size}"] if self.large_cluster_size is not None else []
        parts += [f"x{self.repeat}"] if self.repeat > 1 else []
        return " · ".join(parts)

    @property
    def directory(self) -> str:
        return self.label.replace(" · ", "-").replace(":", "_").replace("=", "")

    def scanner_args(self) -> list[str]:
        args = ["--phases", self.combination, "--workers", str(self.workers), "--control-order", self.order]
        if self.batch_size:
            args += ["--batch-size", str(self.batch_size)]
        if self.page_size:
            args += ["--page-size", str(self.page_size)]
        if self.large_cluster_size is not None:
            args += ["--large-cluster-size", str(self.large_cluster_size)]
        return args


REFERENCE = ParityCase("baseline", reference=True)
# Contention: clones of the library's controls (same rules, same inputs: the same compile keys),
# scopes per namespace (one rule compiled for every namespace, units of one key side by side in
# the schedule), more workers than cores, each scan repeated.
STRESS_LARGE_CLUSTER_SIZE = 1
STRESS_REPEAT = 2


def stress_workers(cores: int) -> int:
    """More workers than cores, and at least 8: many threads ask for one compiled rule at once."""
    return max(8, 2 * cores + 2)


def stress_plan(seed: int, workers: int, policies: str) -> list[ParityCase]:
    """Its own reference (baseline, 1 worker, the stress library, per-namespace scopes), then P1
    alone (one compilation per key must hold) and all phases with many workers, repeated."""

    def case(
        combination: str, workers: int = 1, order: str = "sorted", batch: int | None = None
    ) -> ParityCase:
        repeat, reference = (1, True) if combination == "baseline" else (STRESS_REPEAT, False)
        return ParityCase(
            combination,
            workers,
            order,
            batch,
            None,
            STRESS_LARGE_CLUSTER_SIZE,
            repeat,
            reference,
            policies,
            "stress",
        )

    return [
        case("baseline"),
        case("P1", workers, f"shuffled:{seed}"),
        case("all", workers, f"shuffled:{seed + 1}", 50),
    ]


# X4 and X5 (never in `all`): the RBAC joins split by subject and the namespace-local joins split by
# namespace into evaluations of at most 7 objects, so on a scenario of hundreds every such join is
# cut into many groups whose parts are merged, with 2 workers.
JOIN_SPLIT_CASE = ParityCase("all+X1+X2+X4+X5", 2, "sorted", batch_size=7, page_size=3)


def fast_plan(seed: int = 1) -> list[ParityCase]:
    """The reference, then the pairwise array's rows with the axes spread over them.

    Every streaming row (P5) gets a batch size from FAST_BATCH_SIZES, so each one splits every kind;
    workers 1 and 2 and sorted/shuffled order alternate; each row but one reads small pages. The
    baseline and `all` are run again with the other settings, so the gated combination is also seen
    at the defaults and the baseline's own result is shown not to depend on workers, order or pages.
    Last, JOIN_SPLIT_CASE: the candidates whose evaluations differ from the baseline's in shape.
    """
    shuffled = f"shuffled:{seed}"
    batches = iter(FAST_BATCH_SIZES * 2)
    pages = iter(FAST_PAGE_SIZES * 2)
    cases = [REFERENCE]
    for index, phases in enumerate(pairwise_combinations()):
        if str(phases) == "baseline":
            cases.append(ParityCase("baseline", 2, shuffled, page_size=next(pages)))
            continue
        cases.append(
            ParityCase(
                str(phases),
                workers=2 if index % 2 else 1,
                order=shuffled if index % 3 != 2 else "sorted",
                batch_size=next(batches) if phases.has(5) else None,
                page_size=next(pages) if index != 3 else None,
            )
        )
    cases.append(ParityCase("all"))  # the gated combination at the scanner's defaults
    cases.append(JOIN_SPLIT_CASE)
    return cases


def edge_plan(seed: int = 1) -> list[ParityCase]:
    """Threshold-edge scenarios (thousands of objects): the reference and two rows that decide the
    scope differently — streaming (count known only when the stream ends) and collect-then-release."""
    return [
        REFERENCE,
        ParityCase("all", 2, f"shuffled:{seed}", batch_size=50, page_size=7),
        ParityCase("P2+P4+P6", 1, f"shuffled:{seed}"),
    ]


def grid_plan(combinations: list[str], workers: list[int], orders: list[str]) -> list[ParityCase]:
    """Every (combination, worker count, order), the reference first."""
    cases = [REFERENCE]
    cases += [
        ParityCase(c, w, o)
        for c in combinations
        for w in workers
        for o in orders
        if (c, w, o) != ("baseline", 1, "sorted")
    ]
    return cases
