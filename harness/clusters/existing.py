"""The `existing` backend: a cluster the user already has, reached through a kubeconfig and context.

Read-only by construction: it checks that the context exists and the API server answers, and
reads the ksbench fingerprint ConfigMap if one is there; it never creates, changes or deletes
anything in that cluster (`down` does nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from harness.clusters import BackendOption, ClusterHandle, ClusterStatus
from harness.scenarios.fingerprint import fingerprint
from harness.scenarios.format import Scenario
from harness.scenarios.source import scenario_objects

BACKEND = "existing"


class ExistingBackend:
    name = BACKEND
    OPTIONS: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption("--kubeconfig", "your cluster's kubeconfig (required)", Path),
        BackendOption("--context", "the context to use (default: the current one)"),
    )

    def __init__(self, kubeconfig: Path | None = None, context: str | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.context = context

    def up(self, scenario: Scenario, progress: Callable[[str], None] | None = None) -> ClusterHandle:
        from harness.clusters import kubeclient
        from harness.exit_codes import UsageError

        say = progress or (lambda _message: None)
        if self.kubeconfig is None:
            raise UsageError("the existing backend needs a kubeconfig (--kubeconfig FILE)")
        context = kubeclient.check_context(self.kubeconfig, self.context)
        api = kubeclient.api_client(self.kubeconfig, context)
        version = kubeclient.server_version(api)
        url = str(api.configuration.host)
        expected = fingerprint(scenario.name, scenario_objects(scenario)).digest
        found = kubeclient.read_fingerprint_configmap(api)
        if found == expected:
            say(
                f"existing cluster {context} ({version}) holds scenario {scenario.name} (fingerprint matches)"
            )
        else:
            say(
                f"existing cluster {context} ({version}) is used as it is; it does not hold scenario {scenario.name}'s "
                "fingerprint and ksbench will not change it"
            )
        return ClusterHandle(
            BACKEND, scenario.name, self.kubeconfig, context, url, None, found, found == expected
        )

    def status(self) -> list[ClusterStatus]:
        return []

    def down(self, scenario_name: str | None = None) -> list[str]:
        # Never delete anything in a cluster ksbench did not create.
        return []
