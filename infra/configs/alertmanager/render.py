"""alertmanager.yml: one route tree; a webhook receiver when `alertWebhookUrl` is set."""

from __future__ import annotations

from typing import Any

import yaml

CONFIG_PATH = "/etc/alertmanager/alertmanager.yml"


def render_alertmanager_yml(webhook_url: str | None) -> str:
    receiver: dict[str, Any] = {"name": "default"}
    if webhook_url is not None:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {
        "route": {
            "receiver": "default",
            "group_by": ["alertname", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
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
