"""ksbench's reference scanner: collect → match → evaluate Rego → aggregate → report.

Models kubescape's scan pipeline with the six phases of its optimization plan behind toggles.
Must not import the harness.
"""

__version__ = "0.1.0"
