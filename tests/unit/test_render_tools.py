"""Rendered configs checked by the real tools: nginx -t, promtool check, amtool check-config.

Debian bookworm's nginx (1.22), promtool (2.42) and amtool (0.25) are older than the upstream
images, so passing here means the files also avoid syntax newer than those releases.
"""

from __future__ import annotations

import dataclasses
import re
import select
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.configs.alertmanager.render import render_alertmanager_yml
from infra.configs.grafana.dashboards import all_dashboards, expressions
from infra.configs.nginx.render import NginxConfig, render_nginx_conf, upstream_servers
from infra.configs.prometheus.render import CONFIG_DIR, RULES_SUBDIR, rule_files
from tests.unit.test_components import uploads

STACKS = ("dev", "ci", "production")


def run_tool(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        pytest.fail(f"{argv[0]} is not installed (./scripts/test installs it with apt)")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    run_tool(
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(directory / "tls.key"), "-out", str(directory / "tls.crt"),
        "-days", "1", "-subj", "/CN=localhost",
    )  # fmt: skip
    return directory


@pytest.mark.parametrize("stack", STACKS)
def test_nginx_conf_passes_nginx_t(stack_settings, tls_pair, tmp_path, stack):
    settings = stack_settings(stack)
    # Its pid, temp directory and upstream servers (upstreams.sh writes them) in the test's folder.
    config = dataclasses.replace(
        NginxConfig.from_settings(settings, "api", 8000),
        run_dir=str(tmp_path),
        upstream_file=str(tmp_path / "upstream-api.conf"),
    )
    (tmp_path / "upstream-api.conf").write_text(upstream_servers(config, ["127.0.0.1"]))
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf(config).replace(config.tls_dir, str(tls_pair)))
    output = run_tool("nginx", "-t", "-q", "-c", str(conf))
    assert "emerg" not in output


def test_the_access_log_is_written_in_batches_that_no_other_worker_can_interleave(stack_settings):
    """Every nginx worker writes to the same stdout pipe: a write of more than PIPE_BUF bytes could
    be interleaved with another worker's, splitting log lines."""
    text = render_nginx_conf(NginxConfig.from_settings(stack_settings("production"), "api", 8000))
    access_logs = re.findall(r"^\s*access_log (/dev/stdout .*);$", text, re.MULTILINE)
    assert access_logs, "no access log on stdout"
    for directive in access_logs:
        buffer = re.search(r"buffer=(\d+)k", directive)
        assert buffer, f"unbuffered: {directive}"
        assert int(buffer.group(1)) * 1024 <= select.PIPE_BUF, directive


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_config_and_rules_pass_promtool(declare_stack, tmp_path, stack):
    (tmp_path / RULES_SUBDIR).mkdir()
    for name, text in rule_files().items():
        (tmp_path / RULES_SUBDIR / name).write_text(text)
    prometheus = declare_stack(stack).containers[f"{stack}-prometheus"]
    (tmp_path / "prometheus.yml").write_text(uploads(prometheus)[f"{CONFIG_DIR}/prometheus.yml"])
    output = run_tool("promtool", "check", "config", str(tmp_path / "prometheus.yml"))
    assert f"{len(rule_files())} rule files found" in output


def test_every_rule_file_passes_promtool_check_rules(tmp_path):
    for name, text in rule_files().items():
        (tmp_path / name).write_text(text)
        run_tool("promtool", "check", "rules", str(tmp_path / name))


def test_every_dashboard_expression_is_valid_promql(tmp_path):
    # promtool has no offline query check; recording rules make it parse each expression.
    rules = [
        {"record": f"dashboard:{name.removesuffix('.json').replace('-', '_')}:{index}", "expr": expr}
        for name, board in all_dashboards().items()
        for index, expr in enumerate(expressions(board))
    ]
    (tmp_path / "dashboards.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]})
    )
    output = run_tool("promtool", "check", "rules", str(tmp_path / "dashboards.yml"))
    assert f"SUCCESS: {len(rules)} rules found" in output


@pytest.mark.parametrize("webhook", [None, "https://alerts.example.com/hook"])
def test_alertmanager_config_passes_amtool(tmp_path, webhook):
    (tmp_path / "alertmanager.yml").write_text(render_alertmanager_yml(webhook))
    output = run_tool("amtool", "check-config", str(tmp_path / "alertmanager.yml"))
    assert "SUCCESS" in output
