"""Did the alert reach a human? Prometheus' view of each alert, and what Alertmanager delivered.

The receiver is a container `<stack>-drill-receiver` on the stack's frontend network (Alertmanager
is on it too), running a few lines of Python in the stack's own API image: it prints one JSON line
per notification, read back with `docker logs`. A stack whose `alertWebhookUrl` is
`http://<stack>-drill-receiver:9000/alerts` gets its notifications checked; any other stack only
its Prometheus alert states. The receiver carries the stack's label, so `down` removes it too.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml
from docker.errors import NotFound

from kit.contract import labels
from kit.drill.stack import DrillStack

RECEIVER_ROLE = "drill-receiver"
RECEIVER_PORT = 9000
RECEIVER_SCRIPT = f"""
import http.server, json, time
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        print(json.dumps({{"at": time.time(), "body": json.loads(body or b"null")}}), flush=True)
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", {RECEIVER_PORT}), Hook).serve_forever()
"""


def receiver_url(stack: str) -> str:
    """The `alertWebhookUrl` a drill stack is given."""
    return f"http://{stack}-{RECEIVER_ROLE}:{RECEIVER_PORT}/alerts"


@dataclass(frozen=True)
class Delivery:
    at: float  # wall clock (time.time()) when the receiver got it
    status: str  # firing | resolved
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]


class Receiver:
    """The webhook receiver container; `start()` only when the stack's Alertmanager posts to it."""

    def __init__(self, stack: DrillStack) -> None:
        self.stack, self.name = stack, f"{stack.name}-{RECEIVER_ROLE}"

    def configured(self) -> bool:
        status = httpx.get(f"{self.stack.alertmanager_url}/api/v2/status", timeout=10).json()
        return receiver_url(self.stack.name) in status["config"]["original"]

    def start(self) -> None:
        self.stop()
        self.stack.docker.containers.run(
            self.stack.container("api", 0).image,
            entrypoint=["python", "-c", RECEIVER_SCRIPT],
            name=self.name,
            hostname=self.name,
            network=self.stack.frontend_network,
            labels=labels(self.stack.name, RECEIVER_ROLE),
            detach=True,
            read_only=True,
            healthcheck={"test": ["NONE"]},  # not the API image's own probe: nothing serves it here
        )

    def stop(self) -> None:
        with contextlib.suppress(NotFound):
            self.stack.docker.containers.get(self.name).remove(force=True)

    def deliveries(self) -> list[Delivery]:
        try:
            logs = self.stack.docker.containers.get(self.name).logs(stdout=True, stderr=False)
        except NotFound:
            return []
        found = []
        for line in logs.decode().splitlines():
            record = json.loads(line)
            for alert in record["body"].get("alerts", []):
                found.append(
                    Delivery(
                        record["at"],
                        alert["status"],
                        alert["labels"].get("alertname", ""),
                        alert["labels"],
                        alert.get("annotations", {}),
                    )
                )
        return found


@dataclass(frozen=True)
class Rules:
    """Each alert's `for` (seconds) as Prometheus loaded it, and its scrape interval and timeout."""

    for_seconds: dict[str, float]
    scrape_interval: float
    scrape_timeout: float

    @classmethod
    def load(cls, prometheus_url: str) -> Rules:
        groups = httpx.get(f"{prometheus_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"] if rule["type"] == "alerting"]
        config = httpx.get(f"{prometheus_url}/api/v1/status/config", timeout=10).json()["data"]["yaml"]
        scraping = yaml.safe_load(config)["global"]
        return cls(
            {r["name"]: float(r["duration"]) for r in rules},
            _seconds(str(scraping["scrape_interval"])),
            _seconds(str(scraping.get("scrape_timeout", scraping["scrape_interval"]))),
        )


def _seconds(duration: str) -> float:
    """Prometheus' rendering of a short duration: `2s`, `500ms`, `1m`, `1m30s`."""
    total, number = 0.0, ""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    rest = duration
    while rest:
        if rest[0].isdigit():
            number, rest = number + rest[0], rest[1:]
            continue
        unit = "ms" if rest.startswith("ms") else rest[0]
        total, number, rest = total + float(number) * units[unit], "", rest[len(unit) :]
    return total


@dataclass
class AlertWatch:
    """Polls Prometheus' alerts every `every` seconds on a thread: when each first fired, last fired."""

    prometheus_url: str
    every: float = 0.5
    first_firing: dict[str, float] = field(default_factory=dict)
    last_firing: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> AlertWatch:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _poll(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.wait(self.every):
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    alerts: list[dict[str, Any]] = client.get(f"{self.prometheus_url}/api/v1/alerts").json()[
                        "data"
                    ]["alerts"]
                    now = time.time()
                    for alert in alerts:
                        if alert["state"] == "firing":
                            name = alert["labels"]["alertname"]
                            self.first_firing.setdefault(name, now)
                            self.last_firing[name] = now
