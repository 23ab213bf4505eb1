"""knee.png: the stress run's steps, offered against achieved throughput, with p95 beside them
and the minimal endpoint's ceiling (and the knee target, a share of it) for scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI machines
import matplotlib.pyplot as plt

KNEE_TARGET_SHARE = 0.45


def plot_knee(summary: dict[str, Any], ceiling_rps: float, path: Path) -> None:
    steps = summary["steps"]
    offered = [step["offered_rps"] for step in steps]
    figure, rate_axis = plt.subplots(figsize=(10, 6))
    rate_axis.plot(offered, offered, color="grey", linestyle=":", label="offered (= achieved if served)")
    rate_axis.plot(offered, [step["rps"] for step in steps], marker="o", label="achieved rps")
    rate_axis.axhline(
        ceiling_rps, color="black", linewidth=0.8, label=f"minimal endpoint ceiling {ceiling_rps:,.0f}"
    )
    rate_axis.axhline(
        KNEE_TARGET_SHARE * ceiling_rps,
        color="green",
        linestyle="--",
        linewidth=0.8,
        label=f"{KNEE_TARGET_SHARE:g} x ceiling",
    )
    knee = summary.get("knee")
    if knee:
        rate_axis.plot([knee["rps"]], [knee["rps"]], marker="*", markersize=16, color="red", linestyle="")
        rate_axis.annotate(
            f"knee {knee['rps']:,.0f} rps ({knee['bound']})",
            (knee["rps"], knee["rps"]),
            xytext=(8, -16),
            textcoords="offset points",
        )
    rate_axis.set_xlabel("offered rps (users x per-user rate)")
    rate_axis.set_ylabel("requests / s")
    latency_axis = rate_axis.twinx()
    latency_axis.plot(offered, [step["p95_ms"] for step in steps], color="orange", marker="s", label="p95 ms")
    latency_axis.set_ylabel("p95 response time (ms)")
    handles = rate_axis.get_legend_handles_labels()
    more = latency_axis.get_legend_handles_labels()
    rate_axis.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left")
    figure.suptitle(f"stress steps against {summary.get('host', '')}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
