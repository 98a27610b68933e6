"""Judging stored results: statistics, the plan's gates, per-phase assessments, views for reporters.

Pure functions over `harness.results` values: no I/O, no processes, no clusters. Must not import
harness.run or harness.report.
"""
