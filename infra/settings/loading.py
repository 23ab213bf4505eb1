"""The stack's settings: read from `pulumi.Config()` once, validated up front, frozen.

`parse_settings` is a pure function of the raw config strings so tests feed it dicts; every
problem is collected and reported at once (key, bad value, what is allowed) before anything is
declared. Secrets stay out of `Settings`: `load_secret_overrides` returns them as secret Outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import ValidationError

from infra.settings.model import Settings

PROJECT = "proving-ground"
SECRET_KEYS = ("postgresPassword", "redisPassword", "grafanaAdminPassword", "tlsCertificate", "tlsPrivateKey")
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


class ConfigError(ValueError):
    """Invalid stack configuration; `problems` lists every one of them."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"stack '{stack}' has {len(problems)} invalid config value(s):\n{listing}")


def _describe(error: Mapping[str, Any]) -> list[str]:
    key = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if not key:  # cross-key checks name their keys themselves
        return [f"{PROJECT}:{problem}" for problem in message.split("\n")]
    if error["type"] == "extra_forbidden":
        return [f"{PROJECT}:{key}: unknown key (see docs/configuration.md for the keys)"]
    return [f"{PROJECT}:{key}: {message} (got {error['input']!r})"]


def parse_settings(stack: str, raw: Mapping[str, str]) -> Settings:
    """Settings from raw config values (`key` or `proving-ground:key` → string, as Pulumi stores them)."""
    problems: list[str] = []
    if not STACK_NAME.match(stack):
        problems.append(
            f"stack name {stack!r}: lowercase letters, digits and '-', starting with a letter, ≤ 31"
        )
    values: dict[str, Any] = {"stack": stack}
    for key, value in raw.items():
        namespace, _, name = key.rpartition(":")
        if namespace not in ("", PROJECT) or name in SECRET_KEYS:
            continue  # other providers' keys (docker:host) and secrets are read elsewhere
        values[name] = _decode(value)
    try:
        settings = Settings.model_validate(values)
    except ValidationError as error:
        problems.extend(line for item in error.errors() for line in _describe(item))
        raise ConfigError(stack, problems) from None
    if problems:
        raise ConfigError(stack, problems)
    return settings


def _decode(value: Any) -> Any:
    """Objects and lists arrive as JSON text; scalars stay strings for pydantic's lax parsing."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


@dataclass(frozen=True)
class SecretOverrides:
    """Secrets set with `pulumi config set --secret`; None means "generate one"."""

    postgres_password: pulumi.Output[str] | None
    redis_password: pulumi.Output[str] | None
    grafana_admin_password: pulumi.Output[str] | None
    tls_certificate: pulumi.Output[str] | None
    tls_private_key: pulumi.Output[str] | None


def _raw_config() -> dict[str, str]:
    """Every config value the engine (or the mock runtime) supplied, keyed `namespace:key`."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_settings() -> tuple[Settings, SecretOverrides]:
    config = pulumi.Config(PROJECT)
    settings = parse_settings(pulumi.get_stack(), _raw_config())
    secrets = SecretOverrides(*(config.get_secret(key) for key in SECRET_KEYS))
    tls_missing: list[str] = []
    if settings.tls_enabled and settings.tls_cert_source == "provided":
        tls_missing = [
            f"{PROJECT}:{key}: required (as a secret) when tlsCertSource is 'provided'"
            for key, value in (
                ("tlsCertificate", secrets.tls_certificate),
                ("tlsPrivateKey", secrets.tls_private_key),
            )
            if value is None
        ]
    if tls_missing:
        raise ConfigError(settings.stack, tls_missing)
    return settings, secrets
