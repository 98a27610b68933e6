"""The kubeconfig check before the kubernetes client reads a file: which files, the one-line reason
for each malformed shape, and the credentials collected so no message prints them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scanner.sources.kubeconfig import KubeconfigError, check_kubeconfig, kubeconfig_paths
from scanner.sources.limits import ReadLimits

LIMITS = ReadLimits()
GOOD = {
    "clusters": [{"name": "c", "cluster": {"server": "https://h:1"}}],
    "users": [{"name": "u", "user": {"token": "token-of-the-good-file"}}],
    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    "current-context": "x",
}


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def error_of(path: Path, limits: ReadLimits = LIMITS) -> str:
    with pytest.raises(KubeconfigError) as caught:
        check_kubeconfig(str(path), limits)
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, ValueError)
    return message


def test_the_files_read_are_the_one_given_else_kubeconfigs_else_the_home_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/a{os.pathsep}{os.pathsep}{tmp_path}/b")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert kubeconfig_paths("given") == [Path("given")]
    assert kubeconfig_paths(None) == [tmp_path / "a", tmp_path / "b"]
    assert kubeconfig_paths("") == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setenv("KUBECONFIG", "")
    assert kubeconfig_paths(None) == [tmp_path / "home" / ".kube" / "config"]
    monkeypatch.delenv("KUBECONFIG")
    assert kubeconfig_paths(None) == [tmp_path / "home" / ".kube" / "config"]


def test_every_file_of_kubeconfig_is_checked_and_a_missing_one_is_left_to_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "first", json.dumps(GOOD))
    second = write(
        tmp_path / "second",
        json.dumps({"users": [{"name": "v", "user": {"password": "pass-of-the-second"}}]}),
    )
    missing = tmp_path / "missing"
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, (missing, first, second))))
    scrub = check_kubeconfig(None, LIMITS)
    assert scrub("token-of-the-good-file pass-of-the-second") == "*** ***"
    bad = write(tmp_path / "bad", "clusters: 5\n")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, (missing, first, bad))))
    with pytest.raises(KubeconfigError, match=f"^kubeconfig {bad}: clusters must be a list$"):
        check_kubeconfig(None, LIMITS)
    assert check_kubeconfig(str(missing), LIMITS)("token-of-the-good-file") == "token-of-the-good-file"


def test_every_credential_field_and_url_password_is_scrubbed(tmp_path: Path) -> None:
    fields = [
        "token",
        "password",
        "client-key-data",
        "id-token",
        "refresh-token",
        "access-token",
        "client-secret",
    ]
    secrets = {name: f"secret-{name}-value" for name in fields}
    config = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://alice:Url%40Passw0rd@h:1"}},
            {"name": "d", "cluster": None},
            "not a mapping",
        ],
        "users": [
            {"name": "u", "user": {"token": secrets["token"], "password": secrets["password"]}},
            {
                "name": "k",
                "user": {"client-key-data": secrets["client-key-data"], "username": "plain-user-name"},
            },
            {
                "name": "o",
                "user": {
                    "auth-provider": {
                        "config": {name: secrets[name] for name in fields[3:]},
                        "token": {"nested": "not-a-string-token"},
                    }
                },
            },
        ],
    }
    # "not a mapping" is refused by the shape check, so the servers' list is read on its own here.
    config["clusters"] = config["clusters"][:2]
    scrub = check_kubeconfig(str(write(tmp_path / "config", json.dumps(config))), LIMITS)
    text = " ".join(secrets.values())
    assert scrub(text) == " ".join(["***"] * len(fields))
    assert scrub("Url@Passw0rd and Url%40Passw0rd") == "*** and ***"
    assert scrub("plain-user-name not-a-string-token") == "plain-user-name not-a-string-token"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("clusters: [\n", "{path}:2:1: malformed YAML: did not find expected node content"),
        (
            "a: 1\n\x00",
            "{path}: malformed YAML: unacceptable character #x0000: control characters are not allowed",
        ),
        ("[" * 600 + "]" * 600, "{path}: not read: nested deeper than 100 levels"),
        (b"\xff\xfe", "{path}: not UTF-8 text (invalid start byte)"),
        ("- a\n- b\n", "{path}: expected a mapping with clusters, contexts and users"),
        ("just text\n", "{path}: expected a mapping with clusters, contexts and users"),
        ("clusters: abc\n", "{path}: clusters must be a list"),
        ("contexts: {a: 1}\n", "{path}: contexts must be a list"),
        ("users: []\nclusters: [{name: a}, {cluster: {server: x}}]\n", "{path}: clusters[1] needs a name"),
        ("clusters: [{name: a}, 5]\n", "{path}: clusters[1] needs a name"),
        ("users: [{name: u, user: {}}, {name: v, user: [1]}]\n", "{path}: users[1].user must be a mapping"),
        ("contexts: [{name: x, context: text}]\n", "{path}: contexts[0].context must be a mapping"),
        (
            "clusters: [{name: a, cluster: {server: [x]}}]\n",
            "{path}: clusters[0].cluster.server must be a URL",
        ),
        ("current-context: [x]\n", "{path}: current-context must be a name"),
        ("a: &a [*a, *a]\n", "{path}: not read: the alias *a refers to the node that contains it"),
    ],
)
def test_a_malformed_kubeconfig_is_one_line_naming_the_file(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = write(tmp_path / "config", content)
    assert error_of(path) == "kubeconfig " + message.format(path=path)


def test_shapes_the_client_accepts_pass(tmp_path: Path) -> None:
    for content in (
        "{}\n",
        "clusters: null\ncontexts: [{name: x}]\nusers: [{name: u, user: null}]\ncurrent-context: null\n",
        "contexts: [{name: x, context: {server: 5}}]\n",
        "clusters: [{name: a, cluster: {}}]\n",
    ):
        scrub = check_kubeconfig(str(write(tmp_path / "config", content)), LIMITS)
        assert scrub("nothing-secret-here") == "nothing-secret-here"


def test_the_read_limits_apply_to_the_kubeconfig(tmp_path: Path) -> None:
    exact = write(tmp_path / "exact", "current-context: x" + " " * 982)
    assert exact.stat().st_size == 1000
    check_kubeconfig(str(exact), ReadLimits(max_file_bytes=1000))
    over = write(tmp_path / "over", "current-context: x" + " " * 1982)
    assert (
        error_of(over, ReadLimits(max_file_bytes=2000 - 1))
        == f"kubeconfig {over}: larger than --max-file-bytes 1,999"
    )
    deep = write(tmp_path / "deep", "clusters: [{name: a, cluster: {server: x, extensions: [[1]]}}]\n")
    assert (
        error_of(deep, ReadLimits(max_depth=5)) == f"kubeconfig {deep}: not read: nested deeper than 5 levels"
    )
    check_kubeconfig(str(deep), ReadLimits(max_depth=6))
    # About 200 bytes that stand for about 1,400: the size is that of what the aliases expand to.
    wide = write(
        tmp_path / "wide",
        "x: &x [" + ", ".join(["xxxxxxxxxx"] * 10) + "]\ny: [" + ", ".join(["*x"] * 10) + "]\n",
    )
    assert (
        error_of(wide, ReadLimits(max_file_bytes=1000))
        == f"kubeconfig {wide}: not read: decodes to more than 1,000 characters of strings (--max-file-bytes 1,000)"
    )


def test_a_kubeconfig_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    assert error_of(tmp_path) == f"kubeconfig {tmp_path}: cannot read: a folder, not a regular file"
