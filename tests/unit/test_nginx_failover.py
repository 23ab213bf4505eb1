"""The load balancer's failure accounting, with the real nginx and the rendered config.

Debian's nginx runs the rendered config on loopback (only what cannot run unprivileged there is
changed: ports, logs, the pid and temp directory, one worker) in front of two small HTTP servers standing in
for API replicas. A replica answering 503 (readiness while Redis is down, or any burst of 503s)
is alive and must keep its traffic; a replica that refuses connections is routed around.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from infra.configs.nginx.render import NginxConfig, render_nginx_conf, upstream_servers
from infra.settings import Settings

STACKS = ("dev", "ci", "production")
NGINX = "/usr/sbin/nginx"


class ReplicaHandler(BaseHTTPRequestHandler):
    """Like an API replica whose Redis is down: /health/ready is 503, everything else 200."""

    protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status = 503 if self.path.startswith("/health/ready") else 200
        body = json.dumps({"replica": self.server.server_address[1], "status": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # nginx closing an idle keep-alive connection is not worth a traceback


@contextmanager
def replica() -> Iterator[int]:
    server = ReplicaServer(("127.0.0.1", 0), ReplicaHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected one {old!r} in the rendered nginx.conf"
    return text.replace(old, new)


def runnable_on_loopback(rendered: str, config: NginxConfig, port: int, status_port: int) -> str:
    """The rendered config with only what needs root or fixed ports changed; upstream and proxy
    directives untouched. One worker: each worker keeps its own failure counts."""
    text = replace_once(rendered, "worker_processes auto;", "worker_processes 1;\ndaemon off;")
    if os.geteuid() == 0:  # workers would run as nobody, who cannot enter pytest's temp dirs
        text = replace_once(
            text, "worker_processes 1;", f"user {pwd.getpwuid(os.geteuid()).pw_name};\nworker_processes 1;"
        )
    work = config.run_dir  # pid and temp files already go there
    text = replace_once(text, "error_log /dev/stderr warn;", f"error_log {work}/error.log info;")
    text = replace_once(
        text, "access_log /dev/stdout json buffer=4k flush=1s;", f"access_log {work}/access.log json;"
    )
    text = replace_once(text, f"        listen {config.http_port};\n", f"        listen 127.0.0.1:{port};\n")
    return replace_once(
        text, f"        listen {config.status_port};\n", f"        listen 127.0.0.1:{status_port};\n"
    )


@contextmanager
def load_balancer(given: Rendered, work: Path) -> Iterator[str]:
    """nginx on loopback with this config, its upstream servers the stand-in replicas on their own
    ports (in a stack, upstreams.sh lists the ready replicas, all on the API's port); yields its base
    URL."""
    if not Path(NGINX).exists() and shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (./scripts/test installs it with apt)")
    port, status_port = closed_port(), closed_port()
    conf = work / "nginx.conf"
    config = dataclasses.replace(given.config, run_dir=str(work), upstream_file=str(work / "upstreams.conf"))
    servers = "".join(
        upstream_servers(dataclasses.replace(config, upstream_port=upstream), ["127.0.0.1"])
        for upstream in given.upstream_ports
    )
    (work / "upstreams.conf").write_text(servers)
    conf.write_text(runnable_on_loopback(render_nginx_conf(config), config, port, status_port))
    binary = NGINX if Path(NGINX).exists() else str(shutil.which("nginx"))
    options = ["-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)]
    check = subprocess.run(
        [binary, "-t", "-q", *options], capture_output=True, text=True, timeout=30, check=False
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [binary, *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, (work / "error.log").read_text(errors="replace")
            try:
                if httpx.get(f"http://127.0.0.1:{status_port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nginx did not start in 15 s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclasses.dataclass(frozen=True)
class Rendered:
    config: NginxConfig
    upstream_ports: list[int]


def rendered(settings: Settings, upstream_ports: list[int]) -> Rendered:
    # Without TLS: certificates change the listener, not the upstream and proxy directives.
    return Rendered(
        dataclasses.replace(NginxConfig.from_settings(settings, "api", 0), tls=False), upstream_ports
    )


@pytest.mark.parametrize("stack", STACKS)
def test_readiness_503s_through_the_load_balancer_do_not_take_replicas_out(
    stack_settings: Callable[[str], Settings], tmp_path: Path, stack: str
) -> None:
    with replica() as first, replica() as second:
        lb = rendered(stack_settings(stack), [first, second])
        assert lb.config.max_fails > 0  # failure accounting is on in every stack
        with load_balancer(lb, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
            readiness = [http.get("/health/ready") for _ in range(20)]
            served = [http.get("/api/v1/products") for _ in range(10)]
            assert [response.status_code for response in served] == [200] * 10, served[-1].text
            assert {response.json()["replica"] for response in served} == {first, second}
            # Each 503 is the replica's own answer, passed through, not nginx's.
            assert [response.status_code for response in readiness] == [503] * 20
            assert all(response.json()["status"] == 503 for response in readiness)
    assert "no live upstreams" not in (tmp_path / "error.log").read_text(errors="replace")


@pytest.mark.parametrize("stack", STACKS)
def test_a_replica_refusing_connections_is_routed_around(
    stack_settings: Callable[[str], Settings], tmp_path: Path, stack: str
) -> None:
    with replica() as alive:
        lb = rendered(stack_settings(stack), [closed_port(), alive])
        with load_balancer(lb, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(10):
                read = http.get("/api/v1/products")
                assert read.status_code == 200, read.text
                assert read.json()["replica"] == alive
                # Never sent to the dead replica, so a POST is retried on the live one too.
                write = http.post("/api/v1/orders", json={"items": []})
                assert write.status_code == 200, write.text


@contextmanager
def hung_replica() -> Iterator[int]:
    """A port whose connections complete (the kernel's backlog) but never get an answer."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("stack", STACKS)
def test_a_hung_replica_times_out_to_another_and_is_then_skipped(
    stack_settings: Callable[[str], Settings], tmp_path: Path, stack: str
) -> None:
    with hung_replica() as hung, replica() as alive:
        lb = rendered(stack_settings(stack), [hung, alive])
        # The stack's read timeout (tens of seconds) shortened, so the test does not wait for it.
        short = dataclasses.replace(lb, config=dataclasses.replace(lb.config, proxy_timeout="1s"))
        with load_balancer(short, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as http:
            timings = []
            for _ in range(4 * lb.config.max_fails):
                started = time.monotonic()
                read = http.get("/api/v1/products")
                timings.append(time.monotonic() - started)
                assert read.status_code == 200, read.text
                assert read.json()["replica"] == alive
    # Once max_fails timeouts marked it down, requests no longer wait for the hung replica.
    assert max(timings[-lb.config.max_fails :]) < 0.9, timings
