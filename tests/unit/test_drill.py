"""The drill toolkit's pure parts (kit/drill): plans, the ledger, figures, alert checks, the CLI's
arguments and its interrupt handling. The drills themselves run in tests/e2e/test_drills.py."""

from __future__ import annotations

import httpx
import pytest

from kit.drill import alertcheck, run
from kit.drill.alerts import Delivery, _seconds
from kit.drill.base import wait_until
from kit.drill.cli import parse
from kit.drill.dashboards import panel_queries
from kit.drill.ledger import STOCK, Catalogue, reconcile
from kit.drill.result import AlertFigure
from kit.drill.stats import failures, in_flight, per_second, percentile
from kit.drill.traffic import Plan, Sample, Traffic


def test_a_plan_is_fixed_before_it_runs() -> None:
    plan = Plan(rate=40, seconds=10)
    assert len(plan.ops) == 400
    assert plan.ops == Plan(rate=40, seconds=10).ops
    assert 0.1 < plan.writes / len(plan.ops) < 0.2
    assert set(plan.ops) == {"get", "list", "order"}


def test_gets_are_sent_again_once_when_the_connection_closed_unanswered_and_posts_never() -> None:
    closed: set[str] = set()

    def network(request: httpx.Request) -> httpx.Response:
        if request.method not in closed:  # the first of each method: reset before any answer
            closed.add(request.method)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if request.method == "POST":
            return httpx.Response(201, json={"id": 7})
        return httpx.Response(200, json={})

    plan = Plan(rate=50, seconds=0.5)
    traffic = Traffic(
        "http://lb", "key", plan, (1,), lambda n: (1, n + 1), transport=httpx.MockTransport(network)
    )
    traffic.start()
    samples = traffic.stop() if wait_until(lambda: len(traffic.samples()) == len(plan.ops), 10) else []
    assert len(samples) == len(plan.ops)
    assert [s.outcome for s in samples if s.op == "order" and not s.ok] == ["RemoteProtocolError"]
    assert sum(s.retried for s in samples) == 1
    assert all(s.ok for s in samples if s.op != "order")


def test_every_write_of_a_run_is_a_distinct_line() -> None:
    catalogue = Catalogue("run", (1,), tuple(range(10, 18)))
    lines = [catalogue.line(n) for n in range(8000)]
    assert len(set(lines)) == len(lines)
    assert {quantity for _, quantity in lines} == set(range(1, 1001))
    assert [product for product, _ in lines[:8]] == list(range(10, 18))  # spread: no single hot row


def _write(line: tuple[int, int], outcome: str, order_id: int | None = None) -> Sample:
    return Sample("order", 0.0, 0.1, outcome, line=line, order_id=order_id)


def _rows(items: list[tuple[int, int, int]], stock: dict[int, int]) -> list[list[str]]:
    rows = [["item", str(p), str(q), str(o)] for p, q, o in items]
    return rows + [["stock", str(p), str(s), "0"] for p, s in stock.items()]


def test_the_ledger_finds_lost_and_unacknowledged_orders() -> None:
    samples = [
        _write((1, 1), "201", 100),
        _write((1, 2), "502"),
        _write((1, 3), "409"),
        _write((1, 4), "201", 101),
    ]
    whole = reconcile(samples, _rows([(1, 1, 100), (1, 4, 101)], {1: STOCK - 5}))
    assert whole.ok
    assert whole.acknowledged == 2
    lost = reconcile(samples, _rows([(1, 1, 100)], {1: STOCK - 1}))
    assert lost.lost == ((1, 4),)
    assert not lost.ok
    unknown = reconcile(samples, _rows([(1, 1, 100), (1, 2, 102), (1, 4, 101)], {1: STOCK - 7}))
    assert unknown.ok  # a 502: the client was told nothing about its order, which may exist
    assert unknown.ambiguous_committed == 1
    refused = reconcile(samples, _rows([(1, 1, 100), (1, 3, 103), (1, 4, 101)], {1: STOCK - 8}))
    assert not refused.ok  # a 409 said "not placed": its row must not exist
    wrong_stock = reconcile(samples, _rows([(1, 1, 100), (1, 4, 101)], {1: STOCK - 4}))
    assert wrong_stock.stock_mismatch == (1,)
    assert not wrong_stock.ok


def test_figures_from_samples() -> None:
    samples = [
        Sample("get", 0.0, 0.01, "200"),
        Sample("get", 0.5, 3.5, "504"),
        Sample("order", 1.0, 1.2, "ConnectError", line=(1, 1)),
        Sample("list", 2.0, 2.05, "200"),
    ]
    assert failures(samples) == {"GET 504": 1, "POST ConnectError": 1}
    assert in_flight(samples, 1.1, 1.1, "order") == 1
    assert in_flight(samples, 1.3, 1.3, "order") == 0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([], 99) is None
    series = per_second(samples)
    assert series.ok == [1, 0, 1, 0]
    assert series.failed == [0, 1, 0, 1]


def test_prometheus_durations() -> None:
    assert _seconds("2s") == 2
    assert _seconds("500ms") == 0.5
    assert _seconds("1m30s") == 90


def test_every_panel_query_is_concrete_promql() -> None:
    queries = panel_queries()
    assert len(queries) > 20
    assert not [q.expr for q in queries if "$__" in q.expr]


def _delivery(status: str, at: float, runbook: str = "docs/runbooks.md#redisdown") -> Delivery:
    labels = {"alertname": "RedisDown", "severity": "critical", "stack": "s"}
    return Delivery(at, status, "RedisDown", labels, {"runbook_url": runbook})


def test_alert_checks() -> None:
    found = [AlertFigure("RedisDown", 15.0, 15.5, 3.0, bound_s=16.0)]
    deliveries = [_delivery("firing", 115.5), _delivery("resolved", 140.0)]
    assert all(check.ok for check in alertcheck.checks(found, deliveries, "RedisDown"))
    late = [AlertFigure("RedisDown", 17.0, 17.5, 3.0, bound_s=16.0)]
    assert not all(check.ok for check in alertcheck.checks(late, deliveries, "RedisDown"))
    no_runbook = [_delivery("firing", 115.5, "docs/runbooks.md#nothing-here")]
    assert not all(check.ok for check in alertcheck.checks(found, no_runbook, "RedisDown"))
    assert not alertcheck.checks([], deliveries, "RedisDown")[0].ok
    assert alertcheck.resolved(deliveries, "RedisDown", since=130.0)


def test_the_cli_refuses_unknown_drills_and_unbounded_load() -> None:
    assert parse(["--stack", "s", "stop-redis"]).drills == ["stop-redis"]
    for argv in (["no-such-drill"], ["--rate", "5000"], ["--hold", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            parse(argv)
        assert exit_info.value.code == 2


def _restore_with_a_signal(restored: list[bool]) -> None:
    with run.interrupts_deferred():
        run.on_signal(15, None)  # deferred: no exception here
        restored.append(True)


def test_a_signal_during_a_restore_waits_for_it() -> None:
    restored: list[bool] = []
    with pytest.raises(run.Interrupted):
        _restore_with_a_signal(restored)
    assert restored == [True]
    with pytest.raises(run.Interrupted):
        run.on_signal(2, None)
