"""Variants (command lines under test) and shards (whole blocks per machine; merging their results)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.results import BASELINE, CANDIDATE, OK, WARMUP, Machine, Run, ScenarioInfo, Suite
from harness.run import runner, shards
from harness.run.variants import VariantError, check, load_variants, parse_variant, target_values

MACHINE = Machine("3.11.7", "CPython", "Linux", 2, "0.1.0", None, None, None, "abc123", False)


def test_a_variant_fills_its_placeholders_and_knows_whether_it_is_python() -> None:
    v = parse_variant(
        "streaming=kubescape scan --output {report} --kubeconfig '{kubeconfig}' --enable-streaming"
    )
    values = target_values(("--kubeconfig", "/k/config", "--context", "c1"), Path("/out/r.json"))
    assert v.argv(values) == [
        "kubescape", "scan", "--output", "/out/r.json", "--kubeconfig", "/k/config", "--enable-streaming",
    ]  # fmt: skip
    assert not v.is_python
    assert parse_variant("b=python3.11 -m scanner scan {manifests} --output {report}").is_python
    with pytest.raises(VariantError, match=r"gives no \{manifests\}"):
        parse_variant("m=k {manifests} {report}").argv(values)
    assert target_values(("/manifests",), Path("r"))["manifests"] == "/manifests"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no-equals-sign", "expected NAME="),
        ("bad name=k {report}", "variant name"),
        ("a=k --output report.json", "must write its JSON report to {report}"),
        ("a=k {report} {cluster}", "unknown placeholder {cluster}"),
        ("a=k 'unclosed {report}", "cannot split"),
    ],
)
def test_bad_variants_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(VariantError, match=message):
        parse_variant(text)


def test_the_set_of_variants_needs_a_baseline_and_puts_it_first(tmp_path: Path) -> None:
    with pytest.raises(VariantError, match="name one variant baseline"):
        check([parse_variant("a=k {report}"), parse_variant("b=k {report}")])
    with pytest.raises(VariantError, match="given twice"):
        check([parse_variant("baseline=k {report}"), parse_variant("baseline=j {report}")])
    toml = tmp_path / "variants.toml"
    toml.write_text(
        '[variants.streaming]\ncommand = ["kubescape", "scan", "--output", "{report}"]\nenv = { KS_TOKEN = "secret-value" }\n'
        '[variants.baseline]\ncommand = "kubescape scan --output {report}"\n'
    )
    loaded = check(load_variants(toml))
    assert [v.name for v in loaded] == ["baseline", "streaming"]
    assert loaded[1].env == (("KS_TOKEN", "secret-value"),)
    assert loaded[1].config()["env"] == ["KS_TOKEN"] and "secret" not in str(loaded[1].config())
    toml.write_text("[variants.x]\nargs = 1\n")
    with pytest.raises(VariantError, match="needs a command"):
        load_variants(toml)


def _plan(shard: tuple[int, int] | None, scenarios: tuple[str, ...] = ("small", "medium")) -> runner.Plan:
    return runner.Plan(scenarios, ("baseline", "all"), ("clean",), 5, shard=shard)


def test_shards_deal_every_block_to_exactly_one_machine() -> None:
    dealt: dict[tuple[str, int], list[int]] = {}
    for k in (1, 2, 3):
        for scenario in ("small", "medium"):
            for repetition in range(5):
                if runner.shard_of(_plan((k, 3)), scenario, repetition, 5):
                    dealt.setdefault((scenario, repetition), []).append(k)
    assert sorted(dealt) == [(s, r) for s in ("medium", "small") for r in range(5)]
    assert all(len(ks) == 1 for ks in dealt.values())
    assert [k for ks in dealt.values() for k in ks].count(1) == 4  # 10 blocks over 3 machines: 4, 3, 3
    tails = [k for k in (1, 2, 3) if runner.tail_shard_of(_plan((k, 3)), "medium")]
    assert tails == [2]


def _suite(
    shard: str, commit: str = "abc123", machine: Machine = MACHINE, repetitions: tuple[int, ...] = (0,)
) -> Suite:
    suite = Suite(
        machine, {"scenarios": ["small"], "repeat": 2, "shard": shard}, (ScenarioInfo("small", 100, "f1"),)
    )
    suite = suite.with_run(
        Run("small", "baseline", "clean", WARMUP, -1, OK, artefacts={"report": "runs/w.json"})
    )
    for repetition in repetitions:
        for combination, role in (("baseline", BASELINE), ("all", CANDIDATE)):
            run = Run("small", combination, "clean", role, repetition, OK, metrics={"wall_seconds": 1.0})
            suite = suite.with_run(
                replace(run, artefacts={"report": f"runs/{combination}-{repetition}.json"})
            )
    return replace(suite, machine=replace(machine, git_commit=commit))


def test_merge_unites_the_blocks_and_keeps_artefact_paths(tmp_path: Path) -> None:
    one, two = tmp_path / "s1", tmp_path / "s2"
    merged = shards.merge(
        [
            shards.Shard(one, _suite("1/2", repetitions=(0,))),
            shards.Shard(two, _suite("2/2", repetitions=(1,))),
        ],
    )
    measured = sorted((r.combination, r.repetition) for r in merged.runs() if r.role != WARMUP)
    assert measured == [("all", 0), ("all", 1), ("baseline", 0), ("baseline", 1)]
    assert "shard" not in merged.config and merged.config["merged_shards"] == 2
    paths = {r.repetition: r.artefacts["report"] for r in merged.runs() if r.combination == "all"}
    assert paths == {0: "runs/all-0.json", 1: "runs/all-1.json"}  # merge brings the files into its folder


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (_suite("2/2", commit="def456"), "commit def456 vs abc123"),
        (_suite("2/2", machine=replace(MACHINE, cpu_count=64)), "machine cpu_count: 2 vs 64"),
        (
            replace(_suite("2/2"), config={"scenarios": ["medium"], "repeat": 2, "shard": "2/2"}),
            "other bench arguments",
        ),
        (_suite("1/2"), "shard 1 given twice"),
        (_suite("2/3"), "shards of different splits"),
        (
            replace(
                _suite("2/2"),
                scenarios=(
                    ScenarioInfo(
                        "small",
                        100,
                        "f1",
                        clusters={"stripped": {"scenario": "small-x", "fingerprint": "f2"}},
                    ),
                ),
            ),
            "variant stripped's cluster small-x on small has other content",
        ),
    ],
)
def test_merge_refuses_shards_that_do_not_belong_together(
    tmp_path: Path, second: Suite, message: str
) -> None:
    given = [shards.Shard(tmp_path / "a", _suite("1/2")), shards.Shard(tmp_path / "b", second)]
    with pytest.raises(shards.ShardsDisagree, match=message):
        shards.merge(given)
    assert shards.merge(given, force=True).config["merged_shards"] == 2


def test_merge_refuses_a_missing_shard(tmp_path: Path) -> None:
    with pytest.raises(shards.ShardsDisagree, match="shard 2/2 is missing"):
        shards.merge([shards.Shard(tmp_path / "a", _suite("1/2"))])


def test_a_variant_may_scan_its_own_cluster_named_in_toml_or_on_the_command_line(tmp_path: Path) -> None:
    toml = tmp_path / "variants.toml"
    toml.write_text(
        '[variants.baseline]\ncommand = "k {report}"\n'
        '[variants.stripped]\ncommand = "k {report}"\nscenario = "{scenario}-stripped"\n'
    )
    loaded = check(load_variants(toml))
    assert loaded[1].scenario_for("large") == "large-stripped"
    assert loaded[0].scenario_for("large") == "large"
    assert loaded[1].config()["scenario"] == "{scenario}-stripped" and "scenario" not in loaded[0].config()
    on_line = parse_variant("stripped@/s/fixture-stripped.toml=k --output {report}")
    assert (on_line.name, on_line.scenario_for("fixture")) == ("stripped", "/s/fixture-stripped.toml")
    with pytest.raises(VariantError, match="the baseline scans the bench's scenario"):
        check([parse_variant("baseline@other=k {report}"), parse_variant("b=k {report}")])
    with pytest.raises(VariantError, match="is not a scenario name"):
        parse_variant("b@no way=k {report}")
    toml.write_text('[variants.baseline]\ncommand = "k {report}"\nscenery = "x"\n')
    with pytest.raises(VariantError, match="scenery: allowed are command, env, scenario"):
        load_variants(toml)


def test_go_runtime_knobs_are_recorded_with_their_values_and_a_share_of_a_figure_is_computed(
    tmp_path: Path,
) -> None:
    toml = tmp_path / "variants.toml"
    toml.write_text(
        '[variants.baseline]\ncommand = "k {report}"\n'
        '[variants.capped]\ncommand = "k {report}"\n'
        'env = { GOMEMLIMIT = "50% of 2900MiB", GOGC = "50", API_TOKEN = "hunter2" }\n'
    )
    capped = check(load_variants(toml))[1]
    assert dict(capped.env)["GOMEMLIMIT"] == "1450MiB"  # what the program is started with
    config = capped.config()
    assert config["runtime_env"] == {"GOGC": "50", "GOMEMLIMIT": "1450MiB"}
    assert config["runtime_env_given"] == {"GOMEMLIMIT": "50% of 2900MiB"}
    assert config["env"] == ["API_TOKEN", "GOGC", "GOMEMLIMIT"] and "hunter2" not in str(config)
    toml.write_text('[variants.b]\ncommand = "k {report}"\nenv = { GOMEMLIMIT = "33% of 1001MiB" }\n')
    assert dict(load_variants(toml)[0].env)["GOMEMLIMIT"] == str(int(33 / 100 * 1001 * 2**20))  # bytes
    toml.write_text('[variants.b]\ncommand = "k {report}"\nenv = { GOMEMLIMIT = "1GiB" }\n')
    assert dict(load_variants(toml)[0].env)["GOMEMLIMIT"] == "1GiB"  # given as Go reads it: kept
    toml.write_text('[variants.b]\ncommand = "k {report}"\nenv = { GOMEMLIMIT = "150% of 1GiB" }\n')
    with pytest.raises(VariantError, match="at most 100%"):
        load_variants(toml)
