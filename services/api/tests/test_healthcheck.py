"""The image's own probe: exit status for Docker, and a reason it prints for the health log."""

from __future__ import annotations

from app.healthcheck import probe

from kit.local.api import ApiProcess
from kit.local.servers import free_port


def test_probe_passes_on_200_and_says_why_it_fails(api: ApiProcess) -> None:
    assert probe("/health/ready", api.port) == (True, "HTTP 200")
    healthy, why = probe("/no/such/path", api.port)
    assert not healthy
    assert why.startswith("HTTP 404 {")
    healthy, why = probe("/health/live", free_port())
    assert not healthy
    assert "Connection refused" in why
