"""Shards: one bench's blocks spread over machines, and their results combined into one suite.

`bench --shard K/N` runs whole blocks only (harness.run.runner.shard_of), so every pair a
verdict uses was measured on one machine. Merging takes the shards' suites and checks they can
be judged together: the same bench arguments (but for the shard), the same commit, the same
kind of machine and the same scenario content; any difference is refused unless forced, and
a missing or repeated shard is refused likewise. Artefact paths stay as the shards stored them
(blocks are disjoint, so they never collide): the caller brings the files into the merged
folder, which is then self-contained. Pure: the caller reads and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.results import Suite


class ShardsDisagree(ValueError):
    """Shards that cannot be judged together as given; the message lists why."""


@dataclass(frozen=True)
class Shard:
    directory: Path
    suite: Suite


def _shard_number(suite: Suite) -> tuple[int, int] | None:
    text = str(suite.config.get("shard") or "")
    number, _, count = text.partition("/")
    return (int(number), int(count)) if number.isdigit() and count.isdigit() else None


def problems(shards: Sequence[Shard]) -> list[str]:
    """Why these shards should not be merged; [] when they belong to one bench."""
    first = shards[0]
    found: list[str] = []
    unsharded = {k: v for k, v in first.suite.config.items() if k != "shard"}
    numbers = [_shard_number(s.suite) for s in shards]
    for shard, number in zip(shards, numbers, strict=True):
        name = shard.directory
        config = {k: v for k, v in shard.suite.config.items() if k != "shard"}
        if config != unsharded:
            differing = sorted(k for k in set(config) | set(unsharded) if config.get(k) != unsharded.get(k))
            found.append(f"{name}: other bench arguments than {first.directory} ({', '.join(differing)})")
        if shard.suite.machine.git_commit != first.suite.machine.git_commit:
            found.append(
                f"{name}: commit {shard.suite.machine.git_commit} vs {first.suite.machine.git_commit} in {first.directory}"
            )
        found += [f"{name}: machine {d}" for d in first.suite.machine.differences(shard.suite.machine)]
        for info in shard.suite.scenarios:
            other = first.suite.scenario(info.name)
            if other and other.fingerprint and info.fingerprint and other.fingerprint != info.fingerprint:
                found.append(f"{name}: scenario {info.name} has other content (fingerprint)")
            for variant, cluster in info.clusters.items() if other else ():
                theirs = other.clusters.get(variant, {}) if other else {}
                if theirs.get("fingerprint") != cluster.get("fingerprint"):
                    found.append(
                        f"{name}: variant {variant}'s cluster {cluster.get('scenario')} on {info.name} "
                        "has other content (fingerprint)"
                    )
        if number is None:
            found.append(f"{name}: not a shard (run with --shard K/N)")
    known = [n for n in numbers if n is not None]
    if known:
        counts = {n[1] for n in known}
        if len(counts) > 1:
            found.append(f"shards of different splits: {sorted(counts)}")
        seen = [n[0] for n in known]
        repeated = sorted({k for k in seen if seen.count(k) > 1})
        if repeated:
            found.append(f"shard {repeated[0]} given twice")
        missing = sorted(set(range(1, max(counts) + 1)) - set(seen))
        if missing:
            found.append(f"shard {missing[0]}/{max(counts)} is missing")
    return found


def merge(shards: Sequence[Shard], force: bool = False) -> Suite:
    """One suite of every shard's runs; ShardsDisagree lists the problems unless `force`."""
    if not shards:
        raise ShardsDisagree("no shard given")
    found = problems(shards)
    if found and not force:
        raise ShardsDisagree("; ".join(found) + " (pass --force to merge anyway)")
    first = shards[0].suite
    config = {k: v for k, v in first.config.items() if k != "shard"}
    config["merged_shards"] = len(shards)
    suite = replace(first, config=config, series=(), scenarios=())
    for shard in shards:
        for info in shard.suite.scenarios:
            if suite.scenario(info.name) is None:
                suite = suite.with_scenario(info)
        for run in shard.suite.runs():
            # Each shard warms up on its own; warm-ups are never judged, so the first one is kept.
            if run.role == "warmup" and any(r.key == run.key for r in suite.runs()):
                continue
            suite = suite.with_run(run)
    return suite
