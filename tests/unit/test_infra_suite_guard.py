"""`pytest tests/infra` never passes by checking nothing: a stack without outputs is an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_infra_suite_without_outputs_fails_naming_the_stack_and_the_fix():
    env = {key: value for key, value in os.environ.items() if key != "PG_STACK"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/infra",
            "-q",
            "-p",
            "no:cacheprovider",
            "--stack",
            "no-such-stack",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "stack 'no-such-stack' has no outputs" in result.stdout + result.stderr
    assert "./scripts/up --stack no-such-stack" in result.stdout + result.stderr
