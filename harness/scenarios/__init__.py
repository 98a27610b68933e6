"""Scenarios: the file format, deterministic generation of realistic objects, fingerprints, manifests.

format (TOML → Scenario) → objects (Scenario → plain-dict objects) → fingerprint / manifests /
exceptions. Pure except `manifests`, which writes the folder it is given. Must not talk to a
cluster, spawn processes or import the other harness layers.
"""
