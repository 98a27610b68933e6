"""CPU shares by layer from collapsed stacks."""

from __future__ import annotations

from harness.judge.cpu_layers import DECODING, ENGINE, OTHER, PIPELINE, STARTUP, layer_of, layer_shares
from harness.profiles import parse_collapsed

STACKS = """\
<module> (scanner/__main__.py:7);main (scanner/cli.py:95);run_scan (scanner/scan.py:22);run_unit (scanner/evaluate.py:124);evaluate (scanner/engine/opa_engine.py:44);eval_document (opa_bindings/engine.py:270);_dumps (json/encoder.py:200) 30
<module> (scanner/__main__.py:7);main (scanner/cli.py:95);pages (scanner/sources/kube.py:150);_get (scanner/sources/kube.py:80);loads (json/__init__.py:346);decode (json/decoder.py:337) 20
<module> (scanner/__main__.py:7);main (scanner/cli.py:95);record (scanner/evaluate.py:150);record (scanner/results.py:90) 40
<module> (scanner/__main__.py:1);_find_and_load (<frozen importlib._bootstrap>:1176) 5
<module> (harness/child.py:10) 5
"""


def test_each_sample_goes_to_its_outermost_layer() -> None:
    stacks = parse_collapsed(STACKS)
    layers = {layer_of(stack): n for stack, n in stacks.items()}
    assert layers == {ENGINE: 30, DECODING: 20, PIPELINE: 40, STARTUP: 5, OTHER: 5}
    shares = layer_shares(stacks)
    assert shares.samples == 100
    assert shares.percent[PIPELINE] == 40.0 and shares.percent[ENGINE] == 30.0
    assert "our pipeline 40.0%" in shares.line()


def test_no_samples_gives_zero_shares() -> None:
    assert layer_shares({}).percent[ENGINE] == 0.0
