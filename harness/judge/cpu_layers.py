"""Where a scan's CPU goes, by layer, from py-spy's collapsed stacks: the engine, JSON decoding,
our own pipeline, interpreter start-up, other.

A sample belongs to the outermost layer it is inside: everything under an engine call (encoding
its input included) is the engine's; decoding under the sources is decoding; what remains in
scanner/ frames is our pipeline. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ENGINE, DECODING, PIPELINE, STARTUP, OTHER = (
    "engine",
    "JSON decoding",
    "our pipeline",
    "start-up/imports",
    "other",
)
LAYERS = (ENGINE, DECODING, PIPELINE, STARTUP, OTHER)
_ENGINE_MARKERS = ("scanner/engine/", "opa_bindings/", "regorus", "regopy")
_DECODING_MARKERS = (
    "json/decoder.py",
    "json/__init__.py",
    "yaml/",
    "orjson",
    "_yaml",
    "urllib3/",
    "http/client.py",
)
_STARTUP_MARKERS = ("<frozen importlib", "importlib/")


def _file_of(frame: str) -> str:
    """`name (path/file.py:12)` → `path/file.py`."""
    _, _, where = frame.rpartition("(")
    return where.rsplit(":", 1)[0]


def layer_of(stack: tuple[str, ...]) -> str:
    files = [_file_of(frame) for frame in stack]
    if any(marker in f for f in files for marker in _ENGINE_MARKERS):
        return ENGINE
    if any(marker in f for f in files for marker in _STARTUP_MARKERS):
        return STARTUP
    if any(marker in f for f in files for marker in _DECODING_MARKERS):
        return DECODING
    if any("scanner/" in f for f in files):
        return PIPELINE
    return OTHER


@dataclass(frozen=True)
class LayerShares:
    samples: int
    percent: Mapping[str, float]

    def line(self) -> str:
        return ", ".join(f"{layer} {self.percent[layer]:.1f}%" for layer in LAYERS)


def layer_shares(stacks: Mapping[tuple[str, ...], int]) -> LayerShares:
    counts = dict.fromkeys(LAYERS, 0)
    for stack, samples in stacks.items():
        counts[layer_of(stack)] += samples
    total = sum(counts.values())
    return LayerShares(total, {layer: (100.0 * n / total if total else 0.0) for layer, n in counts.items()})
