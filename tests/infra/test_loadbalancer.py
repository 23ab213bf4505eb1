"""The load balancer: valid config, one upstream server per replica, traffic reaches every replica."""

from __future__ import annotations

import re

import httpx

from tests.infra.stack import StackUnderTest, host

UPSTREAM_SERVER = re.compile(r"^\s*server\s+(\S+:8000)\b", re.MULTILINE)
MAX_ROUNDS = 20  # requests per replica before giving up on seeing every replica


def test_nginx_config_is_valid(lb_container: str) -> None:
    result = host(lb_container).run("nginx -t")
    assert result.rc == 0, result.stderr


def test_one_upstream_server_per_replica(stack: StackUnderTest, lb_container: str) -> None:
    servers = UPSTREAM_SERVER.findall(host(lb_container).check_output("nginx -T 2>/dev/null"))
    assert len(servers) == stack.outputs["replicas"], (
        f"upstream servers {servers}, replicas {stack.outputs['replicas']}"
    )


def test_requests_reach_every_replica(stack: StackUnderTest) -> None:
    expected = set(stack.names("api"))
    seen: set[str] = set()
    # verify=False: with TLS on, the LB serves the stack's own self-signed certificate.
    with httpx.Client(base_url=str(stack.outputs["lbUrl"]), verify=False, timeout=5) as client:  # noqa: S501
        for _ in range(MAX_ROUNDS * len(expected)):
            response = client.get("/api/v1/products")
            assert response.status_code == 200, response.text
            seen.add(response.headers["X-Replica-Id"])
            if seen >= expected:
                break
    assert seen == expected, f"reached {sorted(seen)}, replicas {sorted(expected)}"
