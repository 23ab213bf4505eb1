"""Alert rules: `promtool test rules` per group, each alert with a firing and a quiet case."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.configs.prometheus.render import RULES_DIR

RULE_TESTS = Path(__file__).resolve().parent / "rules"
RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks.md"
GROUP_FILES = sorted(RULES_DIR.glob("*.yml"))


def alerts_of(rule_file: Path) -> list[dict[str, Any]]:
    groups = yaml.safe_load(rule_file.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("rule_file", GROUP_FILES, ids=lambda path: path.stem)
def test_promtool_test_rules(rule_file):
    test_file = RULE_TESTS / f"{rule_file.stem}_test.yml"
    assert test_file.is_file(), f"every rule group needs a promtool test file: {test_file} is missing"
    assert shutil.which("promtool"), "promtool is not installed (./scripts/test installs it with apt)"
    result = subprocess.run(
        ["promtool", "test", "rules", test_file.name],
        cwd=RULE_TESTS, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rule_file", GROUP_FILES, ids=lambda path: path.stem)
def test_every_alert_has_a_firing_and_a_quiet_case(rule_file):
    spec = yaml.safe_load((RULE_TESTS / f"{rule_file.stem}_test.yml").read_text())
    cases = [case for test in spec["tests"] for case in test.get("alert_rule_test", [])]
    for alert in alerts_of(rule_file):
        expectations = [bool(case.get("exp_alerts")) for case in cases if case["alertname"] == alert["alert"]]
        assert True in expectations, f"{alert['alert']}: no firing case"
        assert False in expectations, f"{alert['alert']}: no quiet case"


@pytest.mark.parametrize("rule_file", GROUP_FILES, ids=lambda path: path.stem)
def test_every_alert_is_documented_and_has_a_runbook(rule_file):
    runbooks = RUNBOOKS.read_text()
    for alert in alerts_of(rule_file):
        assert alert["labels"]["severity"] in {"warning", "critical"}
        annotations = alert["annotations"]
        assert annotations["summary"]
        assert annotations["description"]
        anchor = annotations["runbook_url"].removeprefix("docs/runbooks.md#")
        assert anchor == alert["alert"].lower()
        assert f"## {alert['alert']}\n" in runbooks, f"docs/runbooks.md has no section for {alert['alert']}"
