"""`ksbench policies test DIR [--rule NAME]`: a regolibrary-layout folder's rule test cases, run
through the scan pipeline.

Each case `rules/<rule>/test/<case>/` is scanned as kubescape's rule test runner sees it: the
files under `input/` are the scan target, `data.json` (when present) the config inputs, and one
control runs the rule. The failed resources and their paths are compared with `expected.json`
(which objects fail, and the path lists the expectation names); alert messages are not compared.
Prints PASS/FAIL per case with a minimal diff, then a count. Owns no pipeline stage of its own:
reading, matching and evaluation are the scanner's.

Exit codes: 0 every case passes; 1 some case fails; 2 usage error (folder, rule name, engine).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.bounded import OPTION_FILE_MAX_BYTES, read_json_bounded
from scanner.engine import ENGINE_NAMES, Engine, EngineUnavailable, default_engine_name, load_engine
from scanner.evaluate import ScanOptions
from scanner.policies import (
    Control,
    Library,
    PolicyError,
    Rule,
    linked_rule_folders,
    load_config_inputs,
    load_helpers,
    load_rules,
)
from scanner.results import FAILED, SKIPPED
from scanner.scan import run_scan
from scanner.sources import KubeObject, Page, Source, SourceProblem, SourceUnavailable
from scanner.sources.files import FileSource
from scanner.sources.objects import identity_key, resource_id

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
TEST_CONTROL_ID = "C-RULE-TEST"
# Path lists of a response, and the label a scan records each path under.
PATH_LABELS = {
    "failedPaths": "failedPath",
    "reviewPaths": "reviewPath",
    "deletePaths": "deletePath",
    "fixPaths": "fixPath",
}

# (kind, namespace, name): how a case's expectation names an object (often without apiVersion).
Identity = tuple[str, str, str]


@dataclass(frozen=True)
class CaseResult:
    rule: str
    case: str
    passed: bool
    diff: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # recorded, not failing: e.g. two input files with one identity


class _Objects(Source):
    """The objects of one case, already read, as a source the pipeline consumes."""

    def __init__(self, objects: list[KubeObject], description: str) -> None:
        self._objects = objects
        self.problems: list[SourceProblem] = []
        self.description = description

    def pages(self) -> Iterator[Page]:
        if self._objects:
            yield Page(tuple(self._objects))


def _read_inputs(case_dir: Path) -> tuple[list[list[KubeObject]], list[str], list[str]]:
    """The case's inputs as one or more scans, what could not be read, and the duplicate problems.

    A scan holds one object per identity. Several copies of one identity, in one input file or in
    several, are recorded as a problem and scanned once per copy (scan k holds the k-th copy):
    kubescape's runner gives the rule all of them, and picking one would silently drop the others'
    findings. Objects that share only a uid are distinct objects (identity is by name).
    """
    input_dir = case_dir / "input"
    if not input_dir.is_dir():
        return [[]], [], []
    try:
        source = FileSource([input_dir])
    except SourceUnavailable:
        return [[]], [], []
    copies: dict[str, list[KubeObject]] = {}
    first_place: dict[str, str] = {}
    first_uid: dict[str, str] = {}
    problems: list[str] = []
    unread: list[str] = []
    prefix = f"{input_dir}/"
    for path in source.paths:
        reader = FileSource([path])  # one file at a time, to say which files share an identity
        for where, obj in reader.placed_objects(path):
            rid, key, here = resource_id(obj), identity_key(obj), where.removeprefix(prefix)
            uid = str((obj.get("metadata") or {}).get("uid") or "")
            if key in first_place:
                problems.append(
                    f"{rid} is in both {first_place[key]} and {here}: each copy is scanned on its own"
                )
            elif uid in first_uid:
                # Test fixtures copy uids between distinct objects; kubescape's runner sees both.
                problems.append(
                    f"{rid} in {here} has the uid of an object in {first_uid[uid]}: scanned as a distinct object"
                )
            first_place.setdefault(key, here)
            if uid:
                first_uid.setdefault(uid, here)
            copies.setdefault(key, []).append(obj)
        unread.extend(f"{p.where}: {p.reason}" for p in reader.problems)
    runs = max((len(c) for c in copies.values()), default=1)
    scans = [[c[min(k, len(c) - 1)] for c in copies.values()] for k in range(runs)]
    return scans, unread, problems


def _identity_of(obj: dict[str, Any]) -> Identity:
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    name = meta.get("name") or obj.get("name") or ""
    namespace = meta.get("namespace") or obj.get("namespace") or ""
    return (str(obj.get("kind", "")), str(namespace), str(name))


def _expected_objects(response: dict[str, Any]) -> list[dict[str, Any]]:
    alert = response.get("alertObject") or {}
    found: list[dict[str, Any]] = []
    for key in ("k8sApiObjects", "k8SApiObjects", "externalObjects"):
        value = alert.get(key)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        found.extend(o for o in items if isinstance(o, dict))
    return found


def _paths_of(response: dict[str, Any], labels: set[str]) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for key, label in PATH_LABELS.items():
        if label not in labels:
            continue
        for item in response.get(key) or []:
            if label == "fixPath":
                if isinstance(item, dict):
                    paths.add((label, str(item.get("path", "")), str(item.get("value", ""))))
            else:
                paths.add((label, str(item)))
    return paths


def expected_failures(
    expected: list[dict[str, Any]],
) -> tuple[dict[Identity, set[tuple[str, ...]]], set[str]]:
    """Identity → the paths the expectation names for it, and which path lists it names at all."""
    labels = {label for r in expected for key, label in PATH_LABELS.items() if key in r}
    failures: dict[Identity, set[tuple[str, ...]]] = {}
    for response in expected:
        paths = _paths_of(response, labels)
        for obj in _expected_objects(response):
            failures.setdefault(_identity_of(obj), set()).update(paths)
    return failures, labels


def _read_expected(path: Path) -> list[dict[str, Any]]:
    try:
        raw = read_json_bounded(path, OPTION_FILE_MAX_BYTES, "expected results")
    except (OSError, ValueError, RecursionError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    return [r for r in items if isinstance(r, dict)]


def _case_library(library: Library, rule: Rule, case_dir: Path) -> tuple[Library, Rule]:
    """The library a case runs with: data.json's inputs, all of them given to the rule, as kubescape's runner does."""
    data_path = case_dir / "data.json"
    if not data_path.is_file():
        return library, rule
    try:
        data = read_json_bounded(data_path, OPTION_FILE_MAX_BYTES, "data.json")
    except (OSError, ValueError, RecursionError) as exc:
        raise PolicyError(f"{data_path}: {exc}") from exc
    posture = data.get("postureControlInputs") if isinstance(data, dict) else None
    data_control = data.get("dataControlInputs") if isinstance(data, dict) else None
    posture = posture if isinstance(posture, dict) else {}
    rule = dataclasses.replace(rule, config_inputs=tuple(posture))
    library = dataclasses.replace(
        library,
        config_inputs=posture,
        data_control_inputs=data_control if isinstance(data_control, dict) else {},
        rules={rule.name: rule},
    )
    return library, rule


def _split_id(rid: str) -> Identity:
    _group, _version, namespace, kind, name = rid.split("/", 4)
    return (kind, namespace, name)


def run_case(library: Library, engine: Engine, rule: Rule, case_dir: Path) -> CaseResult:
    """One case through the pipeline, compared with its expected.json."""
    expected = _read_expected(case_dir / "expected.json")
    library, rule = _case_library(library, rule, case_dir)
    scans, unread, duplicates = _read_inputs(case_dir)
    control = Control(TEST_CONTROL_ID, f"test of {rule.name}", (rule.name,), 0.0)
    want, labels = expected_failures(expected)
    got: dict[Identity, set[tuple[str, ...]]] = {}
    skipped: list[str] = []
    for objects in scans:
        state = run_scan(_Objects(objects, str(case_dir)), library, engine, [control], ScanOptions())
        for rid, controls in state.table.rows().items():
            record = controls.get(TEST_CONTROL_ID, {}).get(rule.name)
            if record is None:
                continue
            if record.status == SKIPPED:
                skipped.append(record.reason)
            elif record.status == FAILED:
                paths = {tuple(p) for p in record.paths if isinstance(p, tuple) and p and p[0] in labels}
                got.setdefault(_split_id(rid), set()).update(paths)
        state.inventory.raw.close()
    diff = [f"skipped: {reason}" for reason in dict.fromkeys(skipped)]
    diff.extend(f"unreadable input: {line}" for line in unread)
    diff.extend(_diff(want, got))
    return CaseResult(rule.name, case_dir.name, not diff, tuple(diff), tuple(duplicates))


def _show(identity: Identity) -> str:
    kind, namespace, name = identity
    return f"{kind} {namespace + '/' if namespace else ''}{name or '(no name)'}"


def _align_namespaces(
    want: dict[Identity, set[tuple[str, ...]]], got: dict[Identity, set[tuple[str, ...]]]
) -> dict[Identity, set[tuple[str, ...]]]:
    """Expectations often name an object without its namespace: match those on kind and name."""
    aligned = dict(got)
    for kind, namespace, name in want:
        if namespace or (kind, namespace, name) in aligned:
            continue
        candidates = [i for i in aligned if i[0] == kind and i[2] == name and i[1] and i not in want]
        if len(candidates) == 1:
            aligned[(kind, namespace, name)] = aligned.pop(candidates[0])
    return aligned


def _diff(want: dict[Identity, set[tuple[str, ...]]], got: dict[Identity, set[tuple[str, ...]]]) -> list[str]:
    """The smallest description of how the failures differ: objects first, then paths per object."""
    got = _align_namespaces(want, got)
    lines: list[str] = []
    for identity in sorted(want.keys() - got.keys()):
        lines.append(f"expected to fail, did not: {_show(identity)}")
    for identity in sorted(got.keys() - want.keys()):
        lines.append(f"failed, not expected: {_show(identity)}")
    for identity in sorted(want.keys() & got.keys()):
        missing, extra = sorted(want[identity] - got[identity]), sorted(got[identity] - want[identity])
        if missing:
            lines.append(f"{_show(identity)}: missing {', '.join(':'.join(p) for p in missing)}")
        if extra:
            lines.append(f"{_show(identity)}: unexpected {', '.join(':'.join(p) for p in extra)}")
    return lines


def test_folder(root: Path, engine: Engine, rule_name: str | None = None) -> Iterator[CaseResult]:
    """Every case of every rule under root (or of one rule, by rule or folder name), in folder order."""
    rules = load_rules(root)
    linked = [(Path(where).name, reason) for where, reason in linked_rule_folders(root)]
    if rule_name is not None:
        rules = [(d, r) for d, r in rules if rule_name in (r.name, d.name)]
        linked = [(name, reason) for name, reason in linked if name == rule_name]
        if not rules and not linked:
            raise PolicyError(f"no rule named {rule_name!r} under {root / 'rules'}")
    for name, reason in linked:  # a rule not read is a failed case, never a silent gap
        yield CaseResult(name, "-", False, (reason,))
    library = Library(root, {}, {}, {r.name: r for _, r in rules}, load_config_inputs(root), load_helpers())
    for rule_dir, rule in rules:
        test_dir = rule_dir / "test"
        if not test_dir.is_dir():
            continue
        for case_dir in sorted(d for d in test_dir.iterdir() if d.is_dir() and not d.name.startswith(".")):
            if not (case_dir / "expected.json").is_file():
                yield CaseResult(rule.name, case_dir.name, False, ("no expected.json",))
                continue
            yield run_case(library, engine, rule, case_dir)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ksbench policies",
        description="Work with a policy library in kubescape's regolibrary layout.",
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    test = sub.add_parser(
        "test",
        help="run the rules' test cases (rules/<rule>/test/<case>/) through the scan pipeline",
        description="Run each rule's test cases through the scan pipeline and compare with expected.json.",
        epilog="exit codes: 0 every case passes, 1 some case fails, 2 usage error",
    )
    test.add_argument("folder", type=Path, help="a regolibrary-layout folder (with rules/)")
    test.add_argument("--rule", help="only this rule (its name or its folder's name)")
    test.add_argument("--engine", choices=ENGINE_NAMES, help="Rego engine (default: opa where installed)")
    test.add_argument("--quiet", action="store_true", help="print failures and the count only")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_PASS
    try:
        engine = load_engine(args.engine or default_engine_name())
    except EngineUnavailable as exc:
        print(f"ksbench policies: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    passed = failed = 0
    try:
        for result in test_folder(args.folder, engine, args.rule):
            name = f"{result.rule}/{result.case}"
            if result.passed:
                passed += 1
                if not args.quiet:
                    print(f"PASS {name}")
            else:
                failed += 1
                print(f"FAIL {name}")
            if result.passed and args.quiet:
                continue
            for line in result.diff:
                print(f"    {line}")
            for line in result.problems:
                print(f"    problem: {line}")
    except PolicyError as exc:
        print(f"ksbench policies: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{passed} passed, {failed} failed, {passed + failed} cases ({engine.info.name})")
    return EXIT_FAIL if failed else EXIT_PASS
