"""`ksbench cluster bench`: how fast the embedded server is populated and listed through the official client.

For each size: start a fresh server, create every object of a scenario of that size with the
client's typed create calls (parallel workers), LIST every kind in full with paged typed LISTs
(raw JSON, as a scanner would read it), and read the server's peak RSS (VmHWM). The CPU each
phase costs the client (this process) and the server is reported apart, per object: on 2 cores the
two run side by side, so the larger one bounds the rate. A benchmark, not a test: it reports
figures and judges nothing.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.clusters import kubeclient
from harness.clusters.embedded import CONTEXT, ServerProcess, kubeconfig_text
from harness.scenarios.fingerprint import canonical_json
from harness.scenarios.format import Scenario, list_scenarios, load_scenario
from harness.scenarios.source import scenario_objects


def scenario_of_size(size: int, *, compact: bool = False) -> Scenario:
    for scenario in list_scenarios():
        if scenario.total_resources == size and scenario.name != "adversarial":
            return dataclasses.replace(scenario, compact=compact)
    base = load_scenario("large", compact=compact)
    namespaces = max(2, size // 100)
    return dataclasses.replace(
        base, name=f"bench-{size}", total_resources=size, namespaces=namespaces, nodes=max(1, size // 500)
    )


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms_per(seconds: float, count: int) -> float:
    return round(seconds * 1000 / count, 3) if count else 0.0


def vm_hwm_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def bench_size(
    size: int,
    *,
    workers: int,
    page_size: int = 500,
    list_repeats: int = 3,
    progress: Callable[[str], None] | None = None,
    scenario: Scenario | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    say = progress or (lambda _message: None)
    scenario = scenario or scenario_of_size(size, compact=compact)
    objects = scenario_objects(scenario)
    total_objects = len(objects)
    with tempfile.TemporaryDirectory(prefix="ksbench-bench-") as tmp:
        server = ServerProcess(Path(tmp))
        started = time.monotonic()
        url = server.start(port=0, forbidden=())
        startup_seconds = time.monotonic() - started
        server_pid = int((server.state() or {})["pid"])
        try:
            kubeconfig = Path(tmp) / "kubeconfig"
            kubeconfig.write_text(kubeconfig_text(url))
            with kubeclient.api_client(kubeconfig, CONTEXT, pool_size=workers) as api:
                say(f"{scenario.name}: creating {len(objects)} objects with {workers} workers")
                client_cpu, server_cpu = time.process_time(), process_cpu_seconds(server_pid)
                created = kubeclient.create_objects(
                    api, objects, workers=workers, progress=say, label=f"{scenario.name}: "
                )
                create_client_cpu = time.process_time() - client_cpu - created.setup_cpu_seconds
                create_server_cpu = process_cpu_seconds(server_pid) - server_cpu
                say(f"{scenario.name}: listing every kind (pages of {page_size})")
                # The first pass pays the client's one-time set-up of each list method; report it apart.
                list_seconds_each, list_cpu_each = [], []
                for _ in range(1 + list_repeats):
                    list_started = time.monotonic()
                    client_cpu, server_cpu = time.process_time(), process_cpu_seconds(server_pid)
                    counts = kubeclient.list_all(api, kubeclient.ALL_GENERATED_KINDS, page_size=page_size)
                    list_seconds_each.append(time.monotonic() - list_started)
                    list_cpu_each.append(
                        (time.process_time() - client_cpu, process_cpu_seconds(server_pid) - server_cpu)
                    )
            listed = sum(counts.values())
            best = min(range(1, len(list_seconds_each)), key=list_seconds_each.__getitem__, default=0)
            list_seconds = list_seconds_each[best]
            peak_rss_bytes = vm_hwm_bytes(server_pid)
        finally:
            server.stop()
    return {
        "scenario": scenario.name,
        "shape": "imported" if scenario.imported else "compact" if scenario.compact else "realistic",
        "objects": total_objects,
        "json_bytes": sum(len(canonical_json(obj)) for obj in objects),
        "server_startup_seconds": round(startup_seconds, 3),
        "create_workers": workers,
        "create_seconds": round(created.seconds, 2),
        "creates_per_second": round(created.creates_per_second, 1),
        "create_client_setup_seconds": round(created.setup_seconds, 2),
        "creates_per_second_with_setup": round(created.creates_per_second_with_setup, 1),
        "create_client_cpu_ms_per_object": _ms_per(create_client_cpu, created.created),
        "create_server_cpu_ms_per_object": _ms_per(create_server_cpu, created.created),
        "listed_objects": listed,
        "list_page_size": page_size,
        "first_list_seconds": round(list_seconds_each[0], 2),
        "first_listed_objects_per_second": round(listed / list_seconds_each[0], 1),
        "list_seconds": round(list_seconds, 2),
        "listed_objects_per_second": round(listed / list_seconds, 1),
        "list_client_cpu_ms_per_object": _ms_per(list_cpu_each[best][0], listed),
        "list_server_cpu_ms_per_object": _ms_per(list_cpu_each[best][1], listed),
        "server_peak_rss_bytes": peak_rss_bytes,
        "server_peak_rss_mib": round(peak_rss_bytes / 2**20, 1),
    }


def run_bench(
    sizes: list[int],
    *,
    workers: int = 8,
    progress: Callable[[str], None] | None = None,
    scenario: str | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    """Figures per size; with `scenario`, for that scenario alone (an imported one included)."""
    if scenario is not None:
        chosen = load_scenario(scenario, compact=compact or None)
        results = [bench_size(chosen.total_resources, workers=workers, progress=progress, scenario=chosen)]
    else:
        results = [bench_size(size, workers=workers, progress=progress, compact=compact) for size in sizes]
    return {"format_version": "ksbench-cluster-bench/2", "results": results}
