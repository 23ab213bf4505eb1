"""One way to read a stack's outputs, whichever engine provisioned it.

A real `pulumi up` keeps outputs in Pulumi's backend (`pulumi stack output --json --show-secrets`);
the offline provisioner writes the same JSON to `.offline-state/<stack>/outputs.json`. testinfra,
the load suites and the drills read outputs only through `load_outputs`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_STATE = ROOT / ".offline-state"
ENSURE_PULUMI = ROOT / "scripts" / "lib" / "ensure_pulumi"


class StackNotFoundError(RuntimeError):
    pass


def offline_outputs_path(stack: str) -> Path:
    return OFFLINE_STATE / stack / "outputs.json"


@cache
def pulumi_env() -> dict[str, str] | None:
    """The environment to run the Pulumi CLI in: a `pulumi` on PATH, else the engine that
    scripts/build-engine built (found, never built, here); None when there is neither."""
    if shutil.which("pulumi") and os.environ.get("PULUMI_HOME"):
        return dict(os.environ)
    result = subprocess.run(
        ["bash", str(ENSURE_PULUMI), "--if-built"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return dict(os.environ) if shutil.which("pulumi") else None
    env = dict(os.environ)
    for line in result.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


def load_outputs(stack: str) -> dict[str, Any]:
    """Outputs of `stack`: the offline provisioner's file if it exists, else the Pulumi CLI's."""
    path = offline_outputs_path(stack)
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    env = pulumi_env()
    if env is not None:
        result = subprocess.run(
            ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            cli: dict[str, Any] = json.loads(result.stdout)
            return cli
        raise StackNotFoundError(
            f"stack '{stack}' has no outputs: pulumi stack output failed ({result.stderr.strip()}). "
            f"Provision it first: ./scripts/up --stack {stack}"
        )
    raise StackNotFoundError(
        f"stack '{stack}' has no outputs: no {path.relative_to(ROOT)} (offline provisioner) and no "
        "Pulumi CLI on PATH. Provision it first: ./scripts/up --stack " + stack
    )


def load_config(stack: str) -> dict[str, str] | None:
    """The stack's effective config (`key` without the project prefix): the offline provisioner's
    record, else `pulumi config --json`; None when neither engine knows the stack."""
    path = offline_outputs_path(stack).with_name("config.json")
    if path.is_file():
        raw: dict[str, str] = json.loads(path.read_text())
        return {key.split(":", 1)[-1]: value for key, value in raw.items()}
    env = pulumi_env()
    if env is None:
        return None
    result = subprocess.run(
        ["pulumi", "config", "--json", "--stack", stack],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    entries: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return {
        key.split(":", 1)[-1]: str(entry.get("value"))
        for key, entry in entries.items()
        if not entry.get("secret")
    }
