"""`python -m scanner` runs `ksbench scan`."""

import sys

from scanner.cli import main

sys.exit(main())
