"""`python -m kit.drill`: see kit/drill/cli.py (scripts/drill is the entry point)."""

import sys

from kit.drill.cli import main

sys.exit(main())
