"""The manifest source line by line: where a malformed document is reported and that the next
one is still read, keys as kubectl writes them, where each object is (so that two conflicting copies are named), and the size
and depth estimate at its exact bounds. Fast and in-process, for mutation testing."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from scanner.inventory import Inventory, MemoryRawStore
from scanner.sources import SourceProblem, SourceUnavailable
from scanner.sources.files import FileSource, _size_of
from scanner.sources.limits import Deadline, DeadlineExceeded, ReadLimits, over_limits, read_bounded

CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, namespace: ns}\n"


def read(
    tmp_path: Path, text: str, limits: ReadLimits | None = None
) -> tuple[list[dict[str, Any]], list[SourceProblem]]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    source = FileSource([path], limits)
    objects = [obj for page in source.pages() for obj in page.objects]
    return objects, source.problems


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["metadata"]["name"] for obj in objects]


def test_a_syntax_error_names_its_line_and_column_and_the_next_document_is_read(tmp_path: Path) -> None:
    text = CONFIG + "---\nkey: [unclosed\nother: 2\n---\n" + CONFIG.replace("after", "last")
    objects, problems = read(tmp_path, text)
    assert names(objects) == ["after", "last"]
    # the second document starts on line 5; the parser notices on its second line, at `:`
    assert problems == [
        SourceProblem(f"{tmp_path / 'm.yaml'}:6:6", "malformed YAML: did not find expected ',' or ']'")
    ]


def test_a_reader_error_without_a_mark_names_the_document_and_its_first_line(tmp_path: Path) -> None:
    objects, problems = read(tmp_path, 'data: "\x07"\n---\n' + CONFIG)
    assert names(objects) == ["after"]
    assert problems == [
        SourceProblem(
            f"{tmp_path / 'm.yaml'}:1",
            "malformed YAML: unacceptable character #x0007: control characters are not allowed",
        )
    ]


def test_a_document_nested_too_deeply_is_a_problem_and_the_next_is_read(tmp_path: Path) -> None:
    objects, problems = read(
        tmp_path, CONFIG + "---\n" + "[" * 5000 + "]" * 5000 + "\n---\n" + CONFIG.replace("after", "last")
    )
    assert names(objects) == ["after", "last"]
    # libyaml's own guard (1,000 levels) stops the scanner before the budget's 100 are reached
    assert problems == [
        SourceProblem(f"{tmp_path / 'm.yaml'}:5:1001", "malformed YAML: exceeded maximum nesting depth")
    ]


def test_empty_documents_are_skipped_not_the_end(tmp_path: Path) -> None:
    objects, problems = read(tmp_path, "---\n# only a comment\n---\n\n---\n" + CONFIG)
    assert (names(objects), problems) == (["after"], [])


def test_an_alias_expansion_over_the_file_limit_is_refused_and_the_next_document_is_read(
    tmp_path: Path,
) -> None:
    bomb = "a: &a [" + ",".join(['"xxxxxxxx"'] * 8) + "]\nb: &b [" + ",".join(["*a"] * 8) + "]\n"
    limits = ReadLimits(max_file_bytes=500)
    objects, problems = read(tmp_path, bomb + "---\n" + CONFIG, limits)
    assert names(objects) == ["after"]
    assert problems == [
        SourceProblem(
            f"{tmp_path / 'm.yaml'}:1", "not read: decodes to more than 62 values (--max-file-bytes 500 ÷ 8)"
        )
    ]


def test_an_indented_separator_inside_a_block_scalar_is_content(tmp_path: Path) -> None:
    text = (
        CONFIG
        + "data:\n  script: |\n    echo a\n    ---\n    echo b\n---\t\n"
        + CONFIG.replace("after", "tab")
    )
    objects, problems = read(tmp_path, text)
    assert problems == []
    assert names(objects) == ["after", "tab"]  # `---` followed by a tab still separates documents
    assert objects[0]["data"]["script"] == "echo a\n---\necho b\n"


def test_numeric_and_boolean_keys_become_their_text_as_kubectl_sends_them(tmp_path: Path) -> None:
    text = CONFIG + "data: {1: one, true: 'on', false: 'off', 1.5: half, plain: x}\n"
    objects, problems = read(tmp_path, text)
    assert problems == []
    assert objects[0]["data"] == {"1": "one", "true": "on", "false": "off", "1.5": "half", "plain": "x"}


@pytest.mark.parametrize(("key", "what"), [("~", "null"), ("[a]", "a sequence"), ("{a: b}", "a mapping")])
def test_a_key_that_has_no_text_form_is_malformed_yaml(tmp_path: Path, key: str, what: str) -> None:
    objects, problems = read(tmp_path, f"{CONFIG}data:\n  {key}: x\n---\n" + CONFIG.replace("after", "next"))
    assert names(objects) == ["next"]
    assert problems == [
        SourceProblem(
            f"{tmp_path / 'm.yaml'}:5:3",
            f"malformed YAML: a mapping key is {what}: only strings, numbers and booleans can be keys",
        )
    ]


def test_an_object_over_the_size_limit_is_named_with_its_namespace_and_kind(tmp_path: Path) -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big, namespace: shop}\nspec: {x: "
        + "y" * 300
        + "}\n"
    )
    objects, problems = read(tmp_path, text, ReadLimits(max_object_bytes=200))
    assert objects == []
    assert problems == [
        SourceProblem(
            f"{tmp_path / 'm.yaml'}:1",
            "Deployment shop/big not read: object is larger than 200 bytes (--max-object-bytes, nesting limit)",
            kind="Deployment",
            api_group="apps",
        )
    ]


def _doc(api_version: str, data: str, name: str = "same") -> str:
    return (
        f"apiVersion: {api_version}\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n{data}\n"
    )


def _collect(tmp_path: Path, text: str) -> tuple[list[dict[str, Any]], list[SourceProblem], Inventory]:
    """The file read and handed to an inventory, each object with its place, as a scan does."""
    path = tmp_path / "m.yaml"
    path.write_text(text)
    inventory = Inventory(MemoryRawStore())
    delivered: list[dict[str, Any]] = []
    source = FileSource([path])
    for page in source.pages():
        assert page.where == str(path)
        for index, obj in enumerate(page.objects):
            delivered.append(obj)
            inventory.add(obj, page.place(index))
    return delivered, source.problems + inventory.conflicts, inventory


def test_a_conflicting_duplicate_is_a_problem_on_its_kind_and_group_naming_both_lines(
    tmp_path: Path,
) -> None:
    delivered, problems, inventory = _collect(
        tmp_path, _doc("apps/v1", "spec: {replicas: 1}") + "---\n" + _doc("apps/v1", "spec: {replicas: 2}")
    )
    assert [obj["spec"]["replicas"] for obj in delivered] == [1, 2]  # the source delivers every copy
    assert [obj["spec"]["replicas"] for obj in inventory.objects.values()] == [1]
    assert problems == [
        SourceProblem(
            f"{tmp_path / 'm.yaml'}:6",
            f"conflicting duplicate: apps/v1/shop/Deployment/same is also at {tmp_path / 'm.yaml'}:1 "
            "with other content; controls that read Deployment are skipped",
            kind="Deployment",
            api_group="apps",
        )
    ]


def test_the_same_content_under_another_version_or_key_order_is_no_conflict(tmp_path: Path) -> None:
    first = _doc("apps/v1", "spec: {replicas: 1, paused: false}")
    second = _doc("apps/v1beta2", "spec: {paused: false, replicas: 1}")
    delivered, problems, inventory = _collect(tmp_path, first + "---\n" + second)
    assert problems == []
    assert len(delivered) == 2 and len(inventory.objects) == 1
    assert inventory.counters.duplicates_dropped == 1


def test_controller_owned_objects_never_conflict(tmp_path: Path) -> None:
    owner = "  ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]\n"
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n" + owner
    delivered, problems, inventory = _collect(tmp_path, pod + "spec: {a: 1}\n---\n" + pod + "spec: {a: 2}\n")
    assert problems == []
    assert [obj["spec"]["a"] for obj in delivered] == [1, 2]
    assert inventory.counters.owned_by_controller == 2


def test_each_object_of_a_list_is_placed_by_its_item(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- " + _doc("apps/v1", "", "a").replace("\n", "\n  ")
    path = tmp_path / "m.yaml"
    path.write_text(text + "\n- " + _doc("apps/v1", "", "b").replace("\n", "\n  "))
    [page] = FileSource([path]).pages()
    assert page.places == (f"{path}:1 item 0", f"{path}:1 item 1")


def test_a_file_that_cannot_be_statted_has_an_unknown_size(tmp_path: Path) -> None:
    (tmp_path / "here").write_text("abcd")
    assert _size_of(tmp_path / "here") == "4 bytes"
    assert _size_of(tmp_path / "gone") == "size unknown"


# The size estimate: a string costs its length + 2 quotes, any other scalar 8, a container 2 brackets
# and each entry its key + 4 (quotes, colon, comma) or 1 (a comma).
@pytest.mark.parametrize(
    ("value", "cost"),
    [({"a": "bc"}, 2 + 4 + 5), ({"a": 1}, 2 + 8 + 5), (["ab", 2], 2 + (4 + 1) + (8 + 1))],
)
def test_the_size_estimate_is_exact_at_its_bound(value: Any, cost: int) -> None:
    assert over_limits(value, cost, 10) is None
    assert over_limits(value, cost - 1, 10) == f"object is larger than {cost - 1:,} bytes"


def test_the_depth_bound_counts_containers_from_zero() -> None:
    assert over_limits({"a": 1}, 100, 1) is None
    assert over_limits({"a": {"b": 1}}, 100, 1) == "object nested deeper than 1 levels"
    assert over_limits({"a": {"b": 1}}, 100, 2, "document") is None


def test_a_shared_node_counts_its_own_height_once_per_use() -> None:
    for leaf in ("v", 1):  # height 1: scalars add no level
        shared = {"k": leaf}
        assert over_limits({"a": shared, "b": shared}, 1000, 2) is None
        # met deep first, or shallow first and deep again through the alias: refused either way
        assert (
            over_limits({"a": {"deeper": shared}, "b": shared}, 1000, 2)
            == "object nested deeper than 2 levels"
        )
        assert (
            over_limits({"a": shared, "b": {"deeper": shared}}, 1000, 2)
            == "object nested deeper than 2 levels"
        )


def test_a_shared_node_two_levels_high_is_refused_when_met_again_one_level_too_deep() -> None:
    shared = {"x": {"k": 1}}
    assert over_limits({"a": shared, "b": shared}, 1000, 3) is None
    assert over_limits({"a": shared, "b": {"c": shared}}, 1000, 3) == "object nested deeper than 3 levels"


def test_an_empty_container_is_a_level_whether_met_first_or_through_an_alias() -> None:
    empty: dict[str, Any] = {}
    assert over_limits({"a": {"b": {}}}, 1000, 2) == "object nested deeper than 2 levels"
    assert over_limits({"a": empty, "b": {"c": empty}}, 1000, 2) == "object nested deeper than 2 levels"
    assert over_limits({"a": empty, "b": empty}, 1000, 2) is None


def test_a_node_that_contains_itself_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert over_limits({"a": loop}, 1000, 10) == "a YAML alias refers to the node that contains it"


def _nested_list(levels: int) -> str:
    inner = "{apiVersion: v1, kind: ConfigMap, metadata: {name: deep, namespace: ns}}"
    for _ in range(levels):
        inner = f"{{apiVersion: v1, kind: List, items: [{inner}]}}"
    return inner + "\n"


def test_lists_of_lists_are_read_four_deep_and_refused_at_five(tmp_path: Path) -> None:
    assert read(tmp_path, _nested_list(4)) == (
        [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep", "namespace": "ns"}}],
        [],
    )
    objects, problems = read(tmp_path, _nested_list(5))
    where = f"{tmp_path / 'm.yaml'}:1" + " item 0" * 4
    assert (objects, problems) == (
        [],
        [SourceProblem(where, "not a Kubernetes List: Lists nested too deeply")],
    )


def test_a_list_without_items_is_empty_and_items_that_are_not_a_list_are_a_problem(tmp_path: Path) -> None:
    assert read(tmp_path, "apiVersion: v1\nkind: List\n") == ([], [])
    where = f"{tmp_path / 'm.yaml'}:1"
    assert read(tmp_path, "apiVersion: v1\nkind: List\nitems: {a: 1}\n") == (
        [],
        [SourceProblem(where, "not a Kubernetes List: items is a dict, not a list")],
    )


def test_a_yaml_set_is_read_as_a_mapping_of_nulls(tmp_path: Path) -> None:
    objects, problems = read(tmp_path, CONFIG + "data: !!set {a, b}\n")
    assert (objects[0]["data"], problems) == ({"a": None, "b": None}, [])


def test_a_file_gone_before_it_is_read_is_a_problem_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CONFIG)
    (tmp_path / "b.yaml").write_text(CONFIG.replace("after", "kept"))
    source = FileSource([tmp_path])
    (tmp_path / "a.yaml").unlink()
    objects = [obj for page in source.pages() for obj in page.objects]
    assert names(objects) == ["kept"]
    assert source.problems == [
        SourceProblem(str(tmp_path / "a.yaml"), "cannot read: No such file or directory")
    ]


def test_a_group_is_everything_before_the_version(tmp_path: Path) -> None:
    text = "apiVersion: a.io/extra/v1\nkind: Thing\nmetadata: {name: big}\nspec: {x: " + "y" * 300 + "}\n"
    _, problems = read(tmp_path, text, ReadLimits(max_object_bytes=200))
    assert [(p.kind, p.api_group) for p in problems] == [("Thing", "a.io/extra")]


def test_read_bounded_takes_a_file_of_exactly_the_limit_and_refuses_one_byte_more(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, 100) == b"x" * 100
    assert read_bounded(path, 99) is None


def test_read_bounded_refuses_a_device_by_name_before_reading() -> None:
    """/dev/zero says it holds 0 bytes and never ends: not a regular file, refused unread."""
    with pytest.raises(OSError, match="a character device, not a regular file"):
        read_bounded(Path("/dev/zero"), 100)


def test_a_json_manifest_is_one_document_named_by_its_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"kind": "Pod"}')
    source = FileSource([path])
    assert [obj for page in source.pages() for obj in page.objects] == []
    assert source.problems == [SourceProblem(str(path), "not a Kubernetes object: missing apiVersion")]


def test_json_nested_beyond_the_parser_is_a_problem_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    source = FileSource([path])
    assert [obj for page in source.pages() for obj in page.objects] == []
    assert source.problems == [SourceProblem(str(path), "malformed JSON: nested too deeply")]


def test_a_separator_line_may_carry_a_comment(tmp_path: Path) -> None:
    text = "--- # first\n" + CONFIG + "--- # second\n" + CONFIG.replace("after", "second")
    assert read(tmp_path, text) == (
        [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after", "namespace": "ns"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "second", "namespace": "ns"}},
        ],
        [],
    )


def test_only_manifest_suffixes_are_read_from_a_folder_and_the_rest_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("not a manifest")
    (tmp_path / "b.yaml").write_text(CONFIG)
    source = FileSource([tmp_path])
    assert source.description == "files: 1 manifest file(s)"
    assert names([obj for page in source.pages() for obj in page.objects]) == ["after"]


def test_no_manifest_found_names_every_path_and_the_first_problem(tmp_path: Path) -> None:
    empty, broken = tmp_path / "empty", tmp_path / "broken"
    empty.mkdir()
    broken.mkdir()
    with pytest.raises(SourceUnavailable) as plain:
        FileSource([empty])
    assert str(plain.value) == f"no manifest (.yaml, .yml, .json) found in {empty}"
    (broken / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(SourceUnavailable) as linked:
        FileSource([empty, broken])
    assert str(linked.value) == (
        f"no manifest (.yaml, .yml, .json) found in {empty}, {broken}: {broken / 'gone.yaml'}: "
        "cannot read: cannot be followed: No such file or directory"
    )


@dataclasses.dataclass
class _ExpiresAfterOneFile(Deadline):
    """A deadline that passes once the first file is read (no clock: the test cannot be slow or flaky)."""

    checks_left: list[int] = dataclasses.field(default_factory=lambda: [1])

    def check(self) -> None:
        if not self.checks_left:
            raise DeadlineExceeded("--deadline passed")
        self.checks_left.pop()


def test_a_deadline_between_files_counts_the_files_left(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(CONFIG.replace("after", name))
    source = FileSource([tmp_path], ReadLimits(deadline=_ExpiresAfterOneFile(None)))
    assert names([obj for page in source.pages() for obj in page.objects]) == ["a"]
    assert source.problems == [
        SourceProblem(str(tmp_path / "b.yaml"), "not read (2 file(s) left): --deadline passed")
    ]


class _Clock:
    """time.monotonic for the deadline's module: advanced by the test, never by the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_deadline_counts_reading_only_not_the_scan_s_time_with_each_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr("scanner.sources.limits.time.monotonic", clock)
    for n in range(4):
        (tmp_path / f"{n}.yaml").write_text(f"kind: ConfigMap\napiVersion: v1\nmetadata: {{name: c{n}}}\n")
    deadline = Deadline(10.0)
    source = FileSource([tmp_path], ReadLimits(deadline=deadline))
    names = []
    for page in source.pages():  # streaming: each page evaluated for 30 s before the next is read
        names += [o["metadata"]["name"] for o in page.objects]
        clock.now += 30.0
    assert names == ["c0", "c1", "c2", "c3"] and source.problems == []
    assert deadline.paused_seconds == 120.0 and deadline.remaining_seconds() == 10.0
    clock.now += 11.0  # time outside a page is reading time: the budget runs out
    assert deadline.expired
    with pytest.raises(DeadlineExceeded, match="--deadline of 10 s passed"):
        deadline.check()
