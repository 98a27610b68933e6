"""ksbench's harness: clusters, measured scanner runs, parity checks, statistics, gates, reports.

Treats the scanner as a command: imports only its report readers (scanner.reader,
scanner.parity) and the Phases value (scanner.phases), never its pipeline; an import-linter
contract in pyproject.toml holds it to that.
"""
