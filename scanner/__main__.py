"""`python -m scanner [scan] ...` runs `ksbench scan` (the word `scan` is optional)."""

import sys

from scanner.cli import main

args = sys.argv[1:]
sys.exit(main(args[1:] if args[:1] == ["scan"] else args))
