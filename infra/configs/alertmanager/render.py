"""alertmanager.yml: one route tree; a webhook receiver when `alertWebhookUrl` is set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

CONFIG_PATH = "/etc/alertmanager/alertmanager.yml"


@dataclass(frozen=True)
class Grouping:
    """How long a new alert group waits before its first notification, and between later ones (a
    resolved alert is sent at the next of those). The defaults are the production behaviour;
    drill stacks shorten them (`alertGroupWait`, `alertGroupInterval`) to see notifications soon."""

    wait: str = "30s"
    interval: str = "5m"


PRODUCTION_GROUPING = Grouping()


def render_alertmanager_yml(webhook_url: str | None, grouping: Grouping = PRODUCTION_GROUPING) -> str:
    receiver: dict[str, Any] = {"name": "default"}
    if webhook_url is not None:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {
        "route": {
            "receiver": "default",
            "group_by": ["alertname", "severity"],
            "group_wait": grouping.wait,
            "group_interval": grouping.interval,
            "repeat_interval": "4h",
            "routes": [{"matchers": ['severity="critical"'], "receiver": "default", "repeat_interval": "1h"}],
        },
        # With every replica down, one page is enough: silence the per-replica warnings.
        "inhibit_rules": [
            {
                "source_matchers": ['alertname="ApiAllReplicasDown"'],
                "target_matchers": ['alertname="ApiReplicaDown"'],
                "equal": ["stack"],
            }
        ],
        "receivers": [receiver],
    }
    return yaml.safe_dump(config, sort_keys=False)
