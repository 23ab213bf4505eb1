"""The README's `./scripts/up` provisions the `dev` stack on a host with no registry: the fallback
to locally built images (and Grafana off) must keep working. Same config, its own name and ports."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest

from kit.local.servers import free_port
from kit.outputs import load_outputs, pulumi_env
from tests.e2e.offline_helpers import run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_dev_config_comes_up_without_a_registry() -> None:
    name = f"e2e-dev-{secrets.token_hex(3)}"
    ports = [
        arg
        for key in ("lbHttpPort", "prometheusPort", "alertmanagerPort", "grafanaPort")
        for arg in ("--config", f"{key}={free_port()}")
    ]
    try:
        up = run_script("up", "--stack", name, "--config-from", "dev", *ports)
        assert up.returncode == 0, f"scripts/up failed:\n{up.stderr[-4000:]}"
        summary = json.loads(up.stdout.splitlines()[-1])
        assert summary["stack"] == name
        # Once an engine is built (CI always builds one), the README's command runs the real one.
        assert summary["engine"] == ("pulumi" if pulumi_env() is not None else "offline")
        outputs = load_outputs(name)
        assert "grafanaUrl" not in outputs  # no Grafana image can be built here
        with urllib.request.urlopen(f"{outputs['lbUrl']}/health/ready", timeout=5) as response:  # noqa: S310
            assert response.status == 200
    finally:
        down = run_script("down", "--stack", name, "--remove-stack", "--remove-images")
    assert down.returncode == 0, down.stderr[-2000:]
