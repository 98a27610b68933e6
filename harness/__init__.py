"""ksbench's harness: clusters, measured scanner runs, parity checks, statistics, gates, reports.

Treats the scanner as a command: imports only its report readers (scanner.parity,
scanner.report) and the Phases value, never its pipeline.
"""
