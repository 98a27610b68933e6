"""Secrets never reach a report."""

from __future__ import annotations

import copy

from scanner.redact import REDACTED, redact


def test_secret_and_configmap_values_are_redacted_keys_kept() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "t0k"},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"db_url": "postgres://u:p@h"},
    }
    assert redact(secret)["data"] == {"password": REDACTED}
    assert redact(secret)["stringData"] == {"token": REDACTED}
    assert redact(config)["data"] == {"db_url": REDACTED}


def test_container_env_values_are_redacted_everywhere_and_input_untouched() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "c",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"env": "API_KEY=abc"}'},
        },
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "a",
                                    "env": [
                                        {"name": "API_KEY", "value": "abc"},
                                        {
                                            "name": "REF",
                                            "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
                                        },
                                    ],
                                }
                            ],
                            "initContainers": [{"name": "i", "env": [{"name": "PW", "value": "x"}]}],
                        }
                    }
                }
            }
        },
    }
    before = copy.deepcopy(cron)
    out = redact(cron)
    spec = out["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["containers"][0]["env"][0]["value"] == REDACTED
    assert spec["containers"][0]["env"][1]["valueFrom"] == {"secretKeyRef": {"name": "s", "key": "k"}}
    assert spec["initContainers"][0]["env"][0]["value"] == REDACTED
    assert out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == REDACTED
    assert cron == before
