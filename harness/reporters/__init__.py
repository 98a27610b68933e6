"""Reporters: render stored results and verdicts (text table, benchstat, pytest-benchmark JSON, …).

Must not: compute statistics or judge (harness.stats and harness.gates do), run anything, or
read files other than what they are given.
"""
