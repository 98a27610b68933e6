"""Scenario → Kubernetes objects: the kinds table and the deterministic generator.

Pure: no I/O, no clock, no process-global randomness. `harness.scenarios` is the public face;
the embedded API server imports only `kinds` from here (it must stay cheap to import).
"""
