"""The real scanner with one protection broken, for `ksbench parity --scanner` tests: with
`LEAKY_SCANNER=close` the compile cache never closes what it holds at the end of a scan (and no
plan closes early), a P1 regression no finding shows; otherwise the scanner is unchanged."""

import os
import sys

from scanner.cli import main
from scanner.engine.cache import RuleCompiler

if os.environ.get("LEAKY_SCANNER") == "close":
    RuleCompiler.close = lambda self: None  # type: ignore[method-assign]
    RuleCompiler.plan = lambda self, uses: None  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
