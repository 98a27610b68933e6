"""Exceptions files of the wrong shape are usage errors in one line; command, args and annotation
values never reach a report; credentials are scrubbed from any text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.exceptions import ExceptionsError, exceptions_for, load_exceptions
from scanner.inventory import ResourceMeta
from scanner.redact import REDACTED, redact
from scanner.sources.scrub import Scrubber

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]},
}

PODS = [{"designatorType": "Attributes", "attributes": {"kind": "Pod"}}]


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ([{"name": "x", "resources": "abc"}], "resources must be a list, got str"),
        ([{"name": "x", "resources": ["abc"]}], "each resources entry is an object"),
        ([{"name": "x", "resources": PODS, "posturePolicies": ["C-0057"]}], 'like {"controlID": "C-0057"}'),
        (
            [{"name": "x", "resources": PODS, "posturePolicies": [{"controlID": ["C-0057"]}]}],
            "must be a string",
        ),
        (
            [{"name": "x", "posturePolicies": [{"controlID": "C-0057"}]}],
            "resources must be a list, got NoneType",
        ),
        ([{"name": "x", "resources": []}], "resources is empty"),
        ([{"name": "x", "resources": [{"attributes": {}}]}], "at least one of kind"),
        ([{"name": "x", "resources": [{}]}], "at least one of kind"),
        ([{"name": "x", "resources": [{"attributes": {"kind": ["Pod"]}}]}], "must be a string pattern"),
        ([{"name": "x", "resources": [{"attributes": {"name": "("}}]}], "bad pattern"),
        ([{"name": ["x"]}], "an object with a name"),
        ({"name": "x"}, "expected a JSON list"),
    ],
)
def test_exceptions_of_the_wrong_shape_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policies: object, message: str
) -> None:
    path = tmp_path / "exceptions.json"
    path.write_text(json.dumps(policies))
    with pytest.raises(ExceptionsError, match=r"exceptions\.json"):
        load_exceptions(path)
    manifest = tmp_path / "pod.json"
    manifest.write_text(json.dumps(POD))
    code = main([str(manifest), "--exceptions", str(path), "--engine", "regorus", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_an_exception_names_what_it_covers(tmp_path: Path) -> None:
    path = tmp_path / "exceptions.json"
    path.write_text(json.dumps([{"name": "pods", "resources": [{"attributes": {"kind": "Pod"}}]}]))
    [policy] = load_exceptions(path)
    assert exceptions_for([policy], ResourceMeta("", "Pod", "a", "b", ()), "C-0057", frozenset()) == ["pods"]
    assert exceptions_for([policy], ResourceMeta("", "Role", "a", "b", ()), "C-0057", frozenset()) == []


def test_command_args_and_annotations_are_redacted_keys_kept() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "annotations": {"vault.example/token": "canary-annotation"}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "c", "command": ["run", "--password=canary-cmd"], "args": ["canary-arg"]}
                    ],
                    "initContainers": [{"name": "i", "args": ["canary-init"]}],
                }
            }
        },
    }
    redacted = redact(deployment)
    assert "canary" not in json.dumps(redacted)
    assert redacted["metadata"]["annotations"] == {"vault.example/token": REDACTED}
    container = redacted["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == [REDACTED, REDACTED] and container["args"] == [REDACTED]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == ["canary-arg"]


def test_canaries_never_reach_the_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = json.loads(json.dumps(POD))
    pod["metadata"]["annotations"] = {"note": "canary-annotation"}
    pod["spec"]["containers"][0].update(command=["sh", "-c", "canary-command"], args=["canary-args"])
    manifest = tmp_path / "pod.json"
    manifest.write_text(json.dumps(pod))
    code = main([str(manifest), "--engine", "regorus", "--format", "json", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "canary" not in out
    assert json.loads(out)["resources"][0]["object"]["metadata"]["annotations"] == {"note": REDACTED}


def test_scrubber_removes_url_user_info_and_known_secrets() -> None:
    scrub = Scrubber().with_secrets("tok-123456").with_url("https://bob:p%40ss-word@h:6443")
    text = "GET https://bob:p%40ss-word@h:6443/api with tok-123456 failed; p@ss-word echoed"
    assert scrub(text) == "GET https://***@h:6443/api with *** failed; *** echoed"
    assert (
        Scrubber()("see http://user:pw@10.0.0.1/x and ftp://host/y")
        == "see http://***@10.0.0.1/x and ftp://host/y"
    )
