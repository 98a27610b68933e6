import sys

from ksbench.cli import main

sys.exit(main())
