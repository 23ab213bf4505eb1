"""Entry point Pulumi runs (`main: infra/` in Pulumi.yaml)."""

import sys
from pathlib import Path

# Pulumi puts infra/ itself on sys.path; the program imports as the `infra` package from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import main

main()
