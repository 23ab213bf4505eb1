"""Which API a run loads, and whether it is there: stack outputs, or --host plus PG_API_KEY."""

from __future__ import annotations

import ipaddress
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from kit.outputs import StackNotFoundError, load_outputs
from load.suite import api


class TargetError(ValueError):
    """The target is not usable: the run is not valid (exit 2)."""


@dataclass(frozen=True)
class Target:
    host: str
    api_key: str = ""  # never printed
    replicas: tuple[str, ...] = ()  # API replica containers, when the target is a stack


def resolve_target(
    stack: str, host: str | None, *, allow_remote: bool = False, api_key: str | None = None
) -> Target:
    """--host plus PG_API_KEY win over the stack's `lbUrl` and `apiKey` outputs."""
    if host:
        target = Target(host.rstrip("/"), api_key or os.environ.get("PG_API_KEY", ""))
    else:
        try:
            outputs = load_outputs(stack)
        except StackNotFoundError as exc:
            raise TargetError(f"{exc} (or pass --host URL with PG_API_KEY set)") from None
        if not outputs.get("lbUrl"):
            raise TargetError(
                f"stack {stack!r} has no lbUrl output; its outputs: {', '.join(sorted(outputs))}"
            )
        target = Target(
            str(outputs["lbUrl"]).rstrip("/"),
            os.environ.get("PG_API_KEY", outputs.get("apiKey") or ""),
            tuple(outputs.get("apiReplicas") or ()),
        )
    check_host(target.host, allow_remote=allow_remote)
    if not target.api_key:
        raise TargetError(
            "no API key: the stack has no apiKey output and PG_API_KEY is not set (writes need one)"
        )
    return target


def check_host(host: str, *, allow_remote: bool) -> None:
    parts = urllib.parse.urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"--host must look like http://127.0.0.1:8080 (http or https, with a host), got {host!r}"
        )
    if allow_remote:
        return
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise TargetError(
            f"{parts.hostname} is not a loopback address; pass --allow-remote to load another machine"
        )


def preflight(host: str, timeout_s: float = 5.0) -> None:
    """One GET /health/ready, so that an absent or unready target fails fast instead of loading nothing."""
    try:
        with urllib.request.urlopen(host + api.READY, timeout=timeout_s) as response:  # noqa: S310 (checked above)
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TargetError(f"cannot connect to the target {host}: {reason}") from None
    if status != 200:
        raise TargetError(f"the target {host} is not ready: GET {api.READY} answered HTTP {status}")
