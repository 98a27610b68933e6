"""Fuzzing every parser of user input with hypothesis: the manifest reader, the exceptions file,
the policies loader (through load_library, from a temporary folder) and the kubeconfig reader.

Each may refuse an input only with its own error type (or a recorded problem); a traceback of
any other kind fails. The default run is bounded (a few seconds per parser); `-m slow` runs
FUZZ_LONG_EXAMPLES generated inputs per parser.
"""

from __future__ import annotations

import json
import shutil
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.exceptions import ExceptionsError, exceptions_for, load_exceptions
from scanner.inventory import ResourceMeta
from scanner.policies import PolicyError, load_library
from scanner.sources import SourceUnavailable
from scanner.sources.files import FileSource
from scanner.sources.kube import open_client
from scanner.sources.kubeconfig import KubeconfigError, check_kubeconfig
from scanner.sources.limits import Deadline, ReadLimits

FUZZ_SHORT_EXAMPLES = 120
FUZZ_LONG_EXAMPLES = 10_000
LIMITS = ReadLimits(max_file_bytes=256 * 1024, max_object_bytes=64 * 1024, deadline=Deadline(None))

short = settings(
    max_examples=FUZZ_SHORT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
long = settings(short, max_examples=FUZZ_LONG_EXAMPLES)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["v1", "apps/v1", "Pod", "List", "Deployment", "2020-01-01T00:00:00Z", "", "*"])
)
# Keys that are numbers, booleans or null are legal YAML (hand-written manifests have them).
keys = (
    st.text(max_size=8)
    | st.sampled_from(
        [
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "namespace",
            "uid",
            "items",
            "spec",
            "containers",
            "labels",
        ]
    )
    | st.integers(-3, 3)
    | st.booleans()
    | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


@st.composite
def objects(draw: st.DrawFn) -> Any:
    """Mostly object-shaped: apiVersion, kind and metadata with random parts, or anything at all."""
    if draw(st.booleans()):
        return draw(values)
    obj = {
        "apiVersion": draw(st.sampled_from(["v1", "apps/v1"]) | scalars),
        "kind": draw(st.sampled_from(["Pod", "List", "ConfigMap"]) | scalars),
        "metadata": draw(
            st.fixed_dictionaries({"name": scalars}, optional={"namespace": scalars, "uid": scalars}) | values
        ),
    }
    obj.update(draw(st.dictionaries(keys, values, max_size=3)))
    return obj


YAML_NOISE = ["&a ", "*a", "&b [", "*b, ", "\n---\n", "!!binary ", "!!set ", "!!python/object ", "{", "[", ": ",
              "\t", "? ", "%YAML 1.1\n", "'", '"', "\\", "- ", "<<: *a\n", "\x00", "\ufeff"]  # fmt: skip


@st.composite
def manifest_texts(draw: st.DrawFn) -> str:
    """A YAML or JSON rendering of generated objects, then cut and spliced with YAML's syntax."""
    docs = draw(st.lists(objects(), min_size=1, max_size=3))
    if draw(st.booleans()):
        flow = draw(st.booleans())
        text = "\n---\n".join(yaml.safe_dump(d, default_flow_style=flow, sort_keys=False) for d in docs)
    else:
        text = json.dumps(docs[0] if len(docs) == 1 else {"kind": "List", "apiVersion": "v1", "items": docs})
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        noise = draw(st.sampled_from(YAML_NOISE) | st.text(max_size=6))
        text = text[:at] + noise + text[at + cut :]
    return text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _read_manifest(workdir: Path, text: str, suffix: str) -> None:
    path = workdir / f"manifest{suffix}"
    path.write_bytes(text.encode("utf-8", "replace"))
    source = FileSource([path], LIMITS)
    for page in source.pages():
        for obj in page.objects:
            json.dumps(obj)  # what the engine and the report do with every object
    assert all(problem.where.startswith(str(path)) for problem in source.problems)


def _load_exceptions(workdir: Path, policies: Any) -> None:
    path = workdir / "exceptions.json"
    path.write_text(json.dumps(policies))
    try:
        loaded = load_exceptions(path)
    except ExceptionsError:
        return
    meta = ResourceMeta("apps", "Pod", "web", "shop", (("team", "x"),))
    for policy in loaded:
        exceptions_for([policy], meta, "C-0057", frozenset({"NSA"}))
        assert policy.designators, "an exception without a designator covers nothing: refused when loaded"


def _load_policies(workdir: Path, layout: dict[str, Any]) -> None:
    root = workdir / "library"
    shutil.rmtree(root, ignore_errors=True)
    for relative, content in layout.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "controls").mkdir(parents=True, exist_ok=True)
    try:
        library = load_library(root)
    except PolicyError:
        return
    library.select()


def _read_kubeconfig(workdir: Path, text: str) -> None:
    path = workdir / "kubeconfig"
    path.write_bytes(text.encode("utf-8", "replace"))
    try:
        check_kubeconfig(str(path), LIMITS)
    except KubeconfigError:
        return
    try:
        open_client(str(path), None, LIMITS)  # builds the client; no request is made
    except SourceUnavailable:
        return


names = st.sampled_from(["r1", "r2", ".regal", "x y"]) | st.text(
    string.ascii_lowercase, min_size=1, max_size=4
)


@st.composite
def policy_layouts(draw: st.DrawFn) -> dict[str, Any]:
    """A regolibrary-layout folder: rules with metadata, controls, frameworks, config inputs."""
    layout: dict[str, Any] = {}
    rule_names = draw(st.lists(names, max_size=3))
    for rule in rule_names:
        meta = draw(
            st.fixed_dictionaries(
                {"name": st.sampled_from(rule_names) | scalars},
                optional={
                    "match": st.lists(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                k: st.lists(scalars, max_size=2) | scalars
                                for k in ("apiGroups", "apiVersions", "resources")
                            },
                        )
                        | values,
                        max_size=2,
                    )
                    | values,
                    "ruleDependencies": st.lists(
                        st.fixed_dictionaries({"packageName": scalars}) | values, max_size=2
                    )
                    | values,
                    "attributes": values,
                    "configInputs": values,
                },
            )
            | values
        )
        layout[f"rules/{rule}/rule.metadata.json"] = meta
        if draw(st.booleans()):
            layout[f"rules/{rule}/raw.rego"] = "package armo_builtins\n"
    for index in range(draw(st.integers(0, 2))):
        control = st.fixed_dictionaries(
            {"controlID": st.sampled_from(["C-1", "C-2"]) | scalars, "name": scalars},
            optional={"rulesNames": st.lists(st.sampled_from([*rule_names, "none"]) | scalars, max_size=2) | values,
                      "baseScore": scalars, "category": values, "fixedInput": values},
        )  # fmt: skip
        layout[f"controls/c{index}.json"] = draw(control | values)
    if draw(st.booleans()):
        framework = st.fixed_dictionaries(
            {"name": scalars}, optional={"controlsIDs": st.lists(scalars, max_size=2) | values,
                                         "activeControls": values}
        )  # fmt: skip
        layout["frameworks/f.json"] = draw(framework | values)
    if draw(st.booleans()):
        layout["default-config-inputs.json"] = draw(values)
    if draw(st.booleans()):
        layout[draw(st.sampled_from(["controls/bad.json", "rules/r1/rule.metadata.json"]))] = draw(
            st.text(max_size=20)
        )
    return layout


@st.composite
def kubeconfig_texts(draw: st.DrawFn) -> str:
    # Users never carry exec or auth-provider: the client would run a command or call out to refresh.
    user = (
        st.dictionaries(
            st.sampled_from(["token", "username", "password", "client-key-data", "client-certificate-data"]),
            scalars,
        )
        | scalars
    )
    config = {
        "apiVersion": "v1",
        "clusters": draw(st.lists(st.fixed_dictionaries(
            {"name": scalars, "cluster": st.fixed_dictionaries(
                {"server": st.sampled_from(["http://127.0.0.1:9", "http://u:p@127.0.0.1:9", "not a url", ""])
                 | scalars}) | scalars}), max_size=2) | scalars),
        "users": draw(st.lists(st.fixed_dictionaries({"name": scalars, "user": user}), max_size=2) | scalars),
        "contexts": draw(st.lists(st.fixed_dictionaries(
            {"name": scalars, "context": st.fixed_dictionaries({"cluster": scalars, "user": scalars}) | scalars}),
            max_size=2) | scalars),
        "current-context": draw(scalars),
    }  # fmt: skip
    text = yaml.safe_dump(config)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(YAML_NOISE)) + text[at + draw(st.integers(0, 6)) :]
    return text


FUZZERS: dict[str, tuple[Callable[[Path, Any], None], st.SearchStrategy[Any]]] = {
    "manifest-yaml": (lambda d, t: _read_manifest(d, t, ".yaml"), manifest_texts()),
    "manifest-json": (lambda d, t: _read_manifest(d, t, ".json"), manifest_texts()),
    "exceptions": (
        _load_exceptions,
        st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["e"]) | scalars},
                optional={
                    "resources": st.lists(
                        st.fixed_dictionaries(
                            {"attributes": st.dictionaries(keys, scalars | values, max_size=3)}
                        )
                        | values,
                        max_size=2,
                    )
                    | values,
                    "posturePolicies": st.lists(
                        st.fixed_dictionaries({"controlID": scalars}) | st.text(max_size=6) | values,
                        max_size=2,
                    )
                    | values,
                },
            )
            | values,
            max_size=3,
        )
        | values,
    ),
    "policies": (_load_policies, policy_layouts()),
    "kubeconfig": (_read_kubeconfig, kubeconfig_texts()),
}


PARSERS = sorted(FUZZERS)


@pytest.mark.parametrize("parser", PARSERS)
def test_fuzz_bounded(workdir: Path, parser: str) -> None:
    check, strategy = FUZZERS[parser]
    short(given(strategy)(lambda value: check(workdir, value)))()


@pytest.mark.slow
@pytest.mark.parametrize("parser", PARSERS)
def test_fuzz_long(workdir: Path, parser: str) -> None:
    check, strategy = FUZZERS[parser]
    long(given(strategy)(lambda value: check(workdir, value)))()
