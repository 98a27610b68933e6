"""Rendering: text, Markdown, JSON, HTML, benchstat and pytest-benchmark from results and verdicts.

Reporters render what harness.judge computed and compute nothing themselves; `artefacts` reads
the profiles a run left on disk. Must not run anything (harness.run) or talk to clusters.
"""
