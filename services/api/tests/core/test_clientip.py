"""Client address resolution: X-Forwarded-For only counts when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress

from app.core.clientip import client_ip

PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


def test_untrusted_peer_cannot_spoof_its_address() -> None:
    assert client_ip("198.51.100.7", "1.2.3.4", PROXIES) == "198.51.100.7"


def test_trusted_proxy_chain_is_walked_from_the_right() -> None:
    assert client_ip("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.9", PROXIES) == "198.51.100.7"


def test_no_header_or_no_proxies_means_the_peer() -> None:
    assert client_ip("10.0.0.2", None, PROXIES) == "10.0.0.2"
    assert client_ip("10.0.0.2", "198.51.100.7", []) == "10.0.0.2"
