"""PromQL that reads 0, not "No data", where a healthy stack simply has nothing to count.

A labelled counter has no series until its first increment (prometheus_client), ALERTS has series
only while an alert is pending or firing, and `sum` or `/` over no series is no series: Grafana
then shows "No data", which reads as broken monitoring rather than "none".
"""

from __future__ import annotations


def or_zero(expr: str, label: str | None = None) -> str:
    """`expr`, or one 0 series when it has none.

    `on()` matches every series, so the 0 is added only when `expr` is empty, never beside real
    series. With `label`, the 0 series carries `label="none"` so a `{{label}}` legend still reads.
    """
    zero = "vector(0)" if label is None else f'label_replace(vector(0), "{label}", "none", "", "")'
    return f"{expr} or on() {zero}"


def ratio_or_zero(part: str, whole: str) -> str:
    """`part / whole`, and 0 for each group of `whole` that `part` lacks (say a route with no 5xx).

    `whole * 0` keeps the grouping labels, so `by (route)` ratios stay one series per route.
    """
    return f"({part} or {whole} * 0) / {whole}"
