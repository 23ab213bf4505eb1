"""scripts/up and scripts/down with a Pulumi CLI on PATH: they drive it (here a recording stand-in,
since no real CLI can be installed on this machine) and never fall back to the offline provisioner."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.offline_helpers import ROOT

pytestmark = pytest.mark.docker

FAKE_PULUMI = """#!/usr/bin/env bash
echo "$*" >> "$PULUMI_CALLS"
case "$1 $2" in
  "version "*) echo v3.0.0-fake ;;
  "stack select") exit 1 ;;
  "stack output") echo '{"replicas": 2, "lbUrl": "http://127.0.0.1:1"}' ;;
esac
"""


@pytest.fixture
def fake_cli(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path, str]]:
    stack = f"e2e-cli-{secrets.token_hex(3)}"
    (tmp_path / "pulumi").write_text(FAKE_PULUMI)
    (tmp_path / "pulumi").chmod(stat.S_IRWXU)
    calls = tmp_path / "calls.log"
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "PULUMI_CALLS": str(calls)}
    yield env, calls, stack
    (ROOT / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_up_inits_the_stack_from_a_copy_of_the_source_config_and_runs_pulumi_up(
    fake_cli: tuple[dict[str, str], Path, str],
) -> None:
    env, calls, stack = fake_cli
    result = _run("up", env, "--stack", stack, "--config-from", "ci", "--config", "replicas=3")
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert f"stack init {stack}" in lines
    assert f"config set --stack {stack} replicas 3" in lines
    assert f"up --yes --refresh --skip-preview --stack {stack}" in lines
    assert (ROOT / f"Pulumi.{stack}.yaml").read_text() == (ROOT / "Pulumi.ci.yaml").read_text()
    assert "offline provisioner" not in result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["engine"] == "pulumi"


def test_down_destroys_and_removes_an_ephemeral_stack(fake_cli: tuple[dict[str, str], Path, str]) -> None:
    env, calls, stack = fake_cli
    result = _run("down", env, "--stack", stack, "--remove-stack")
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        f"destroy --yes --skip-preview --stack {stack}",
        f"stack rm --yes --stack {stack}",
    ]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert (summary["engine"], summary["stack"]) == ("pulumi", stack)
