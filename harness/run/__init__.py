"""Running scanners under test: the plan of runs, one fresh process per run, instruments around it.

runner (the matrix, parity of every report, resume, results file) → process (the only place that
spawns) → child (the trampoline that measures the scanner's own peak RSS); instruments wrap a
run's argv and read their artefacts. Must not judge (harness.judge) or render (harness.report).
"""
