"""Exit codes of every `ksbench` command (documented in the README) and the error that carries one."""

EXIT_OK = 0
EXIT_GATE_MISSED = 1  # bench/gate/compare: a plan criterion was not met
EXIT_USAGE = 2  # bad arguments, unknown scenario, invalid file
EXIT_FINDINGS_MISMATCH = 3  # parity: a combination reported different findings
EXIT_ENVIRONMENT = 4  # a tool, profiler, cluster or port is missing or unreachable


class KsbenchError(Exception):
    """An error that ends a command with a documented exit code and a one-line message."""

    exit_code = EXIT_ENVIRONMENT


class UsageError(KsbenchError):
    exit_code = EXIT_USAGE


class EnvironmentProblem(KsbenchError):
    exit_code = EXIT_ENVIRONMENT


class FindingsMismatch(KsbenchError):
    exit_code = EXIT_FINDINGS_MISMATCH
