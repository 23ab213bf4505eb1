"""What `scripts/up` prints at the end, for either engine: the stack's URLs and what to run next.

`python -m kit.engine nextsteps --stack NAME`
"""

from __future__ import annotations

from kit.contract import Output
from kit.outputs import load_outputs

URL_KEYS = {
    Output.LB_URL: "load balancer",
    Output.PROMETHEUS_URL: "Prometheus",
    Output.ALERTMANAGER_URL: "Alertmanager",
    Output.GRAFANA_URL: "Grafana",
}


def next_steps(stack: str) -> str:
    outputs = load_outputs(stack)
    lines = [f"stack {stack} is up ({outputs.get(Output.REPLICAS, '?')} API replicas):"]
    lines += [f"  {label:<14} {outputs[key]}" for key, label in URL_KEYS.items() if outputs.get(key)]
    lines += [
        "next:",
        f"  ./scripts/load --profile smoke --stack {stack}     # load suite with SLO gate",
        f"  .venv/bin/pytest tests/infra --stack {stack}        # testinfra checks",
        f"  ./scripts/down --stack {stack}                      # remove it",
    ]
    return "\n".join(lines)
