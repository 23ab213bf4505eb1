"""Drill stacks' alert timing (`alertForMax`, `alertGroupWait`, `alertGroupInterval`): shortened
where a drill stack asks for it, and exactly the production behaviour everywhere else."""

from __future__ import annotations

import re

import yaml

from infra.configs.alertmanager.render import PRODUCTION_GROUPING, Grouping, render_alertmanager_yml
from infra.configs.prometheus.render import duration_seconds, rule_files
from tests.unit.test_components import uploads
from tests.unit.test_render_tools import run_tool

DRILL = {"alertForMax": "10s", "alertGroupWait": "1s", "alertGroupInterval": "2s"}


def _fors(text: str) -> list[str]:
    return re.findall(r"^\s+for:\s*(\S+)\s*$", text, re.MULTILINE)


def test_without_a_cap_the_rule_files_are_verbatim() -> None:
    assert rule_files() == rule_files(None)
    assert rule_files("1y") == rule_files()


def test_a_cap_shortens_only_longer_fors_and_changes_nothing_else(tmp_path) -> None:
    original, capped = rule_files(), rule_files("2m")
    for name, text in capped.items():
        before = _fors(original[name])
        assert _fors(text) == [f if duration_seconds(f) <= 120 else "2m" for f in before]
        assert re.sub(r"for: \S+", "", text) == re.sub(r"for: \S+", "", original[name])
        (tmp_path / name).write_text(text)
        run_tool("promtool", "check", "rules", str(tmp_path / name))


def test_drill_grouping_passes_amtool(tmp_path) -> None:
    text = render_alertmanager_yml("http://drill-receiver:9000/hook", Grouping("1s", "2s"))
    route = yaml.safe_load(text)["route"]
    assert (route["group_wait"], route["group_interval"]) == ("1s", "2s")
    (tmp_path / "alertmanager.yml").write_text(text)
    assert "SUCCESS" in run_tool("amtool", "check-config", str(tmp_path / "alertmanager.yml"))


def test_stacks_keep_production_timing_unless_configured(declare_stack) -> None:
    for stack in ("dev", "ci", "production"):
        declared = declare_stack(stack)
        prometheus = uploads(declared.containers[f"{stack}-prometheus"])
        assert all(prometheus[f"/etc/prometheus/rules/{n}"] == t for n, t in rule_files().items())
        route = yaml.safe_load(
            uploads(declared.containers[f"{stack}-alertmanager"])["/etc/alertmanager/alertmanager.yml"]
        )["route"]
        assert (route["group_wait"], route["group_interval"]) == (
            PRODUCTION_GROUPING.wait,
            PRODUCTION_GROUPING.interval,
        )


def test_a_drill_stack_gets_short_fors_and_grouping(declare_stack) -> None:
    declared = declare_stack("drill", config_from="ci", **DRILL)
    rules = uploads(declared.containers["drill-prometheus"])
    fors = [f for name in rule_files() for f in _fors(rules[f"/etc/prometheus/rules/{name}"])]
    assert fors
    assert set(fors) == {"10s"}
    route = yaml.safe_load(
        uploads(declared.containers["drill-alertmanager"])["/etc/alertmanager/alertmanager.yml"]
    )["route"]
    assert (route["group_wait"], route["group_interval"]) == ("1s", "2s")
