"""A drill's alerts as figures (seconds from the fault) and as checks on what reached the receiver.

The bound for the drill's own alert is the rule's `for` plus two scrape intervals (the first
scrape that sees the fault, the evaluation after it) plus the scrape timeout: a target that hangs
rather than refuses (a paused replica, an exporter waiting on a stopped Redis) is marked down only
when its scrape times out; plus the AlertWatch's polling period, which is when the drill sees it.
"""

from __future__ import annotations

from kit.drill.alerts import AlertWatch, Delivery, Rules
from kit.drill.result import AlertFigure, Check
from kit.outputs import ROOT

RUNBOOKS = ROOT / "docs" / "runbooks.md"


def resolved(deliveries: list[Delivery], name: str, since: float) -> bool:
    return any(d.name == name and d.status == "resolved" and d.at > since for d in deliveries)


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _first(deliveries: list[Delivery], name: str, status: str, since: float) -> float | None:
    times = [d.at for d in deliveries if d.name == name and d.status == status and d.at >= since]
    return min(times) - since if times else None


def figures(
    watch: AlertWatch,
    deliveries: list[Delivery],
    rules: Rules,
    fault: float,
    restored: float,
    expected: str | None,
) -> list[AlertFigure]:
    """`fault`, `restored`: wall-clock times. Every alert Prometheus showed firing after the fault, in
    firing order (one still firing from an earlier drill is not this drill's)."""
    found = []
    for name, first in sorted(watch.first_firing.items(), key=lambda item: item[1]):
        if first < fault:
            continue
        bound = None
        if name == expected:
            scraping = 2 * rules.scrape_interval + rules.scrape_timeout
            bound = rules.for_seconds.get(name, 0) + scraping + watch.every
        delivered, cleared = (
            _first(deliveries, name, "firing", fault),
            _first(deliveries, name, "resolved", restored),
        )
        found.append(AlertFigure(name, round(first - fault, 1), _round(delivered), _round(cleared), bound))
    return found


def checks(found: list[AlertFigure], deliveries: list[Delivery] | None, name: str) -> list[Check]:
    """`deliveries` None: the stack posts to no drill receiver, so only Prometheus is checked."""
    figure = next((a for a in found if a.name == name), None)
    if figure is None:
        return [Check(f"{name} fired", False, "never seen firing in Prometheus")]
    bound = figure.bound_s or 0.0
    fired_in_time = figure.firing_s is not None and figure.firing_s <= bound
    result = [
        Check(
            f"{name} fired within for + 2 scrape intervals + scrape timeout",
            fired_in_time,
            f"{figure.firing_s} s, bound {bound:.0f} s",
        )
    ]
    if deliveries is None:
        return result
    first = next((d for d in deliveries if d.name == name and d.status == "firing"), None)
    anchor = (first.annotations.get("runbook_url", "") if first else "").partition("#")[2]
    headings = {
        line[3:].strip().lower() for line in RUNBOOKS.read_text().splitlines() if line.startswith("## ")
    }
    labelled = first is not None and bool(first.labels.get("severity")) and bool(first.labels.get("stack"))
    return [
        *result,
        Check(f"{name} delivered to the webhook", figure.delivered_s is not None, f"{figure.delivered_s} s"),
        Check(
            "with severity, stack label and a runbook link that exists",
            labelled and anchor in headings,
            f"{first.labels if first else None}, runbook #{anchor}",
        ),
        Check(
            f"{name} resolved notification after recovery",
            figure.resolved_s is not None,
            f"{figure.resolved_s} s after the restore",
        ),
    ]
