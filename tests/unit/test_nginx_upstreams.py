"""upstreams.sh, the load balancer's replica discovery, with the real nginx and the rendered config.

Stand-in replicas listen on 127.0.0.2 and 127.0.0.3 (one port, as replicas share the API's); a
`getent` first on PATH answers the alias with the addresses the test lists, as Docker's DNS would.
Requests go only to replicas that answer readiness; one that starts draining gets no new request
while it still serves; with every replica unready the current ones stay; with none, nginx's 503.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from infra.configs.nginx.render import (
    UPSTREAMS_SCRIPT,
    NginxConfig,
    discovery_env,
    render_nginx_conf,
    upstream_servers,
)
from infra.settings import Settings
from tests.unit.test_nginx_failover import NGINX, ReplicaServer, closed_port, runnable_on_loopback

ADDRESSES = ("127.0.0.2", "127.0.0.3")


class StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Replica

    def do_GET(self) -> None:
        ready = self.path == "/health/ready"
        status = (200 if self.server.ready else 503) if ready else 200
        if not ready:
            self.server.served += 1
        body = json.dumps({"replica": self.server.server_address[0]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Replica(ReplicaServer):
    ready = True
    served = 0


@contextmanager
def replicas(port: int) -> Iterator[dict[str, Replica]]:
    with ExitStack() as stack:
        found = {}
        for address in ADDRESSES:
            server = Replica((address, port), StandIn)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            found[address] = server
        yield found


class Discovery:
    def __init__(self, work: Path, config: NginxConfig) -> None:
        self.work, self.config = work, config
        self.url = ""

    def resolve(self, *addresses: str) -> None:
        """What Docker's DNS answers for the alias from now on."""
        (self.work / "resolved").write_text("".join(f"{a}       STREAM api\n" for a in addresses))

    def servers(self) -> str:
        return (self.work / "upstream-api.conf").read_text()


@contextmanager
def discovery(settings: Settings, work: Path, port: int) -> Iterator[Discovery]:
    listen, status = closed_port(), closed_port()
    config = dataclasses.replace(
        NginxConfig.from_settings(settings, "api", port),
        tls=False,
        run_dir=str(work),
        upstream_file=str(work / "upstream-api.conf"),
        none_port=closed_port(),
    )
    (work / "nginx.conf").write_text(runnable_on_loopback(render_nginx_conf(config), config, listen, status))
    (work / "upstreams.sh").write_text(UPSTREAMS_SCRIPT)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "getent").write_text(f"#!/bin/sh\ncat {work / 'resolved'}\n")
    (bin_dir / "getent").chmod(0o755)
    found = Discovery(work, config)
    found.resolve(*ADDRESSES)
    env = {**os.environ, **discovery_env(config), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    nginx = [NGINX, "-p", str(work), "-e", str(work / "error.log"), "-c", str(work / "nginx.conf")]
    process = subprocess.Popen(
        ["/bin/sh", str(work / "upstreams.sh"), *nginx], env=env, stderr=(work / "script.log").open("w")
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{status}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (work / "script.log").read_text()
            assert time.monotonic() < deadline, (work / "script.log").read_text()
            time.sleep(0.05)
        found.url = f"http://127.0.0.1:{listen}"
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)
        subprocess.run(["pkill", "-f", str(work / "upstreams.sh")], check=False)


def answered_by(http: httpx.Client, count: int = 12) -> set[str]:
    replies = [http.get("/api/v1/products") for _ in range(count)]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies if r.status_code != 200]
    return {r.json()["replica"] for r in replies}


def eventually(check: Callable[[], bool], log: Path, seconds: float = 10.0) -> None:
    """Within a few discovery intervals (generous: the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s; upstreams.sh said:\n{log.read_text()}"
        time.sleep(0.2)


def test_only_ready_replicas_get_requests_and_a_draining_one_none_while_it_serves(
    stack_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    port = closed_port()
    first, second = ADDRESSES
    with replicas(port) as stand_ins:
        stand_ins[second].ready = False  # starting
        with discovery(stack_settings("ci"), tmp_path, port) as lb, httpx.Client(base_url=lb.url) as http:
            log = tmp_path / "script.log"
            eventually(lambda: answered_by(http) == {first}, log)  # its first pass may time a probe out
            assert lb.servers() == upstream_servers(lb.config, [first])  # the script writes that format

            stand_ins[second].ready = True
            eventually(lambda: answered_by(http) == {first, second}, log)

            stand_ins[first].ready = False  # SIGTERM: draining, still serving
            eventually(lambda: answered_by(http) == {second}, log)
            assert lb.servers() == upstream_servers(lb.config, [second])
            before = stand_ins[first].served
            assert answered_by(http, 20) == {second}
            assert stand_ins[first].served == before

            stand_ins[second].ready = False  # a database outage: every replica unready at once
            time.sleep(2.5)
            assert answered_by(http) == {second}  # kept: its own 503s would say what is wrong

            lb.resolve()  # every replica gone
            eventually(lambda: http.get("/api/v1/products").status_code == 503, log)
            assert lb.servers() == upstream_servers(lb.config, [])
            gone = http.get("/api/v1/products")
            assert gone.status_code == 503
            assert gone.json() == {"detail": "no API replica is ready"}
            assert gone.headers["retry-after"] == "5"


@pytest.mark.parametrize("stack", ["dev", "production"])
def test_every_stack_probes_readiness_on_the_api_port(
    stack_settings: Callable[[str], Settings], stack: str
) -> None:
    env = discovery_env(NginxConfig.from_settings(stack_settings(stack), "api", 8000))
    assert env["UPSTREAM_PROBE"] == "/health/ready"
    assert env["UPSTREAM_HOST"] == "api"
    assert env["UPSTREAM_PORT"] == "8000"
    assert float(stack_settings(stack).api_drain_seconds) >= 3 * float(env["UPSTREAM_INTERVAL"])
