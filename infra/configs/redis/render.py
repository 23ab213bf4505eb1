"""redis.conf: persistence and memory policy from settings; the password is added by the component."""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings import Settings
from infra.topology import REDIS

CONFIG_PATH = "/usr/local/etc/redis/redis.conf"


@dataclass(frozen=True)
class RedisConfig:
    maxmemory_mib: int
    maxmemory_policy: str
    port: int = REDIS.port

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisConfig:
        return cls(maxmemory_mib=settings.redis_maxmemory, maxmemory_policy=settings.redis_maxmemory_policy)


def render_redis_conf(config: RedisConfig, password: str) -> str:
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')  # redis.conf double-quote escaping
    lines = [
        f"port {config.port}",
        "bind 0.0.0.0",
        "protected-mode yes",
        "dir /data",
        "appendonly yes",
        "appendfsync everysec",
        f"maxmemory {config.maxmemory_mib}mb",
        f"maxmemory-policy {config.maxmemory_policy}",
        f'requirepass "{quoted}"',
    ]
    return "\n".join(lines) + "\n"
