"""Drills on one throw-away stack, each under steady load through nginx (kit.drill): kill -9 and
pause a replica, stop Redis, stop and start Postgres, reload nginx. Each must keep what
docs/operations.md ("Failures and what users see") promises, lose no acknowledged order, and —
for the replica, Redis and Postgres faults — page through Alertmanager to a webhook receiver on the
stack's network, then resolve. Then every dashboard query has data, and scripts/drill reports and
restores (also when interrupted). The figures of the run land in reports/drills/<stack>-e2e/.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from kit.drill.alerts import Receiver, receiver_url
from kit.drill.base import Options, wait_until
from kit.drill.dashboards import FAILURE_ONLY, evaluate, panel_queries, without_data
from kit.drill.faults import DRILLS
from kit.drill.ledger import prepare
from kit.drill.report import summary, timeline
from kit.drill.result import DrillResult
from kit.drill.run import run_drill
from kit.drill.stack import DrillStack
from kit.drill.traffic import Plan, Traffic
from kit.local.servers import free_port
from tests.e2e.offline_helpers import ROOT, run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]

OPTIONS = Options(rate=50, before=6, hold=20, after=4)


def drill_config(stack: str) -> list[str]:
    """A ci stack with a short proxy timeout (a hung replica is given up on in 6 s: just above the
    API's own 5 s wait for a database connection, so that one still ends as its clean 503), fast
    scrapes and alert timing (`alertForMax`, Alertmanager grouping: drill stacks only), alerts to
    the stack's drill receiver."""
    ports = {key: str(free_port()) for key in ("lbHttpPort", "lbHttpsPort", "prometheusPort",
                                                "alertmanagerPort", "grafanaPort")}  # fmt: skip
    config = {
        **ports,
        "lbProxyTimeout": "6s",
        "scrapeInterval": "2s",
        "alertForMax": "10s",
        "alertGroupWait": "1s",
        "alertGroupInterval": "2s",
        "alertWebhookUrl": receiver_url(stack),
    }
    return [arg for key, value in config.items() for arg in ("--config", f"{key}={value}")]


class Session:
    def __init__(self, stack: DrillStack, receiver: Receiver) -> None:
        self.stack, self.receiver = stack, receiver
        self.results: list[DrillResult] = []

    def drill(self, name: str) -> DrillResult:
        result = run_drill(self.stack, DRILLS[name](), OPTIONS, self.receiver)
        self.results.append(result)
        return result


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    name = f"drill-{secrets.token_hex(3)}"
    try:
        up = run_script("up", "--stack", name, "--config-from", "ci", *drill_config(name))
        assert up.returncode == 0, f"scripts/up failed:\n{up.stderr[-4000:]}"
        stack = DrillStack.load(name)
        receiver = Receiver(stack)
        assert receiver.configured()
        receiver.start()
        session = Session(stack, receiver)
        yield session
        receiver.stop()
        _record(name, session.results)
    finally:
        run_script("down", "--stack", name, "--remove-stack", "--remove-images")


def _record(stack: str, results: list[DrillResult]) -> None:
    directory = ROOT / "reports" / "drills" / f"{stack}-e2e"
    directory.mkdir(parents=True, exist_ok=True)
    for result in results:
        timeline(result, f"{stack}: {DRILLS[result.drill].title}", directory / f"{result.drill}.png")
    (directory / "summary.json").write_text(summary(stack, directory, results, {}) + "\n")


def _passed(result: DrillResult) -> None:
    figures = json.dumps(result.figures(), indent=1)
    assert result.passed, "\n".join(result.failed_checks()) + "\n" + figures


@pytest.mark.parametrize(
    "name", ["kill-replica", "pause-replica", "stop-redis", "restart-postgres", "reload-lb"]
)
def test_drill(session: Session, name: str) -> None:
    result = session.drill(name)
    _passed(result)
    assert result.reconciliation.acknowledged > 0
    failure_only = [q for q in panel_queries() if FAILURE_ONLY.get((q.dashboard, q.panel)) == name]
    if failure_only:  # panels with data only while this drill's fault lasts (none today)
        assert not [q for q in evaluate(session.stack.prometheus_url, failure_only) if q.empty]
    if DRILLS[name].alert:
        alert = next(a for a in result.alerts if a.name == DRILLS[name].alert)
        assert alert.delivered_s is not None
        assert alert.resolved_s is not None


def test_every_dashboard_query_has_data_after_load(session: Session) -> None:
    stack = session.stack
    plan = Plan(rate=40, seconds=12)
    catalogue = prepare(stack.lb_url, stack.api_key, plan.writes)
    traffic = Traffic(stack.lb_url, stack.api_key, plan, catalogue.read_ids, catalogue.line)
    traffic.start()
    time.sleep(plan.seconds)
    assert all(s.ok for s in traffic.stop())
    time.sleep(4)  # two more scrapes
    results = evaluate(stack.prometheus_url)
    assert len(results) > 20
    assert not [r for r in results if r.series is None], [r.error for r in results if r.error]
    assert not without_data(results), "\n".join(
        f"{r.dashboard}/{r.panel}: {r.expr}" for r in without_data(results)
    )
    assert set(FAILURE_ONLY.values()) <= set(DRILLS)


def _drill_script(stack: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(ROOT / "scripts" / "drill"), "--stack", stack, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_scripts_drill_prints_table_timeline_and_json(session: Session) -> None:
    process = _drill_script(session.stack.name, "reload-lb", "--before", "3", "--after", "2")
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, out[-3000:] + err[-3000:]
    figures = json.loads(out.splitlines()[-1])
    assert figures["passed"]
    assert figures["alertDeliveryChecked"]
    assert [d["drill"] for d in figures["drills"]] == ["reload-lb"]
    assert "p99 before / during ms" in out
    assert (ROOT / figures["reportDir"] / "reload-lb.png").stat().st_size > 10_000


def test_scripts_drill_restores_what_it_broke_when_interrupted(session: Session) -> None:
    victim = session.stack.containers("api")[-1]
    process = _drill_script(session.stack.name, "pause-replica", "--before", "2", "--hold", "120")
    try:
        assert wait_until(lambda: session.stack.containers("api")[-1].status == "paused", 90)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        if session.stack.containers("api")[-1].status == "paused":
            victim.unpause()
    assert process.returncode == 130, out[-2000:] + err[-2000:]
    assert "interrupted" in err
    assert session.stack.containers("api")[-1].status == "running"
