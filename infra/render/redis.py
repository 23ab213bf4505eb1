"""redis.conf: persistence and memory policy from settings; the password is added by the component."""

from __future__ import annotations

from infra.naming import REDIS_PORT
from infra.settings import Settings

CONFIG_PATH = "/usr/local/etc/redis/redis.conf"


def render_redis_conf(settings: Settings, password: str) -> str:
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')  # redis.conf double-quote escaping
    lines = [
        f"port {REDIS_PORT}",
        "bind 0.0.0.0",
        "protected-mode yes",
        "dir /data",
        "appendonly yes",
        "appendfsync everysec",
        f"maxmemory {settings.redis_maxmemory}mb",
        f"maxmemory-policy {settings.redis_maxmemory_policy}",
        f'requirepass "{quoted}"',
    ]
    return "\n".join(lines) + "\n"
