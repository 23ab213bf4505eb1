"""One way to read a stack's outputs, whichever engine provisioned it.

A real `pulumi up` keeps outputs in Pulumi's backend (`pulumi stack output --json --show-secrets`);
the offline provisioner writes the same JSON to `.offline-state/<stack>/outputs.json`. testinfra,
the load suites and the drills read outputs only through `load_outputs`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_STATE = ROOT / ".offline-state"


class StackNotFoundError(RuntimeError):
    pass


def offline_outputs_path(stack: str) -> Path:
    return OFFLINE_STATE / stack / "outputs.json"


def load_outputs(stack: str) -> dict[str, Any]:
    """Outputs of `stack`: the offline provisioner's file if it exists, else the Pulumi CLI's."""
    path = offline_outputs_path(stack)
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    if shutil.which("pulumi"):
        result = subprocess.run(
            ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            cli: dict[str, Any] = json.loads(result.stdout)
            return cli
        raise StackNotFoundError(f"pulumi stack output --stack {stack} failed: {result.stderr.strip()}")
    raise StackNotFoundError(
        f"stack '{stack}' has no outputs: no {path.relative_to(ROOT)} (offline provisioner) and no "
        "Pulumi CLI on PATH. Provision it first: ./scripts/up --stack " + stack
    )
