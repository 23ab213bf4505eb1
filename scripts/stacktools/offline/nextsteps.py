"""What `scripts/up` prints at the end, for either engine: the stack's URLs and what to run next.

`python -m stacktools.offline.nextsteps --stack NAME`
"""

from __future__ import annotations

import argparse

from rich.console import Console

from ..outputs import load_outputs

URL_KEYS = {
    "lbUrl": "load balancer",
    "prometheusUrl": "Prometheus",
    "alertmanagerUrl": "Alertmanager",
    "grafanaUrl": "Grafana",
}


def next_steps(stack: str) -> str:
    outputs = load_outputs(stack)
    lines = [f"stack {stack} is up ({outputs.get('replicas', '?')} API replicas):"]
    lines += [f"  {label:<14} {outputs[key]}" for key, label in URL_KEYS.items() if outputs.get(key)]
    lines += [
        "next:",
        f"  ./scripts/load --profile smoke --stack {stack}     # load suite with SLO gate",
        f"  .venv/bin/pytest tests/infra --stack {stack}        # testinfra checks",
        f"  ./scripts/down --stack {stack}                      # remove it",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev")
    Console(stderr=True, soft_wrap=True, highlight=False).print(next_steps(parser.parse_args().stack))


if __name__ == "__main__":
    main()
