"""redis.conf: persistence, memory policy and ACL users from settings; passwords come from the component.

No `requirepass` and no usable `default` user: every client authenticates as one of the ACL users
below, and each user may run only what its client needs. Passwords appear only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from infra.settings import Settings
from infra.topology import REDIS

CONFIG_PATH = "/usr/local/etc/redis/redis.conf"
MAXCLIENTS = 10000  # Redis' default, written down: the container's nofile ulimit is sized from it
NOFILE_NEEDED = MAXCLIENTS + 32  # Redis keeps 32 descriptors for itself (CONFIG_MIN_RESERVED_FDS)

API_USER = "app"
EXPORTER_USER = "exporter"
# The API (services/api/app/core/{redis_client,ratelimit,cache}.py): GET/SET/DEL, the rate-limit
# script (EVALSHA, SCRIPT LOAD on NOSCRIPT, EVAL; inside it INCR, PEXPIRE, GET, DECR), PING for
# readiness, AUTH/HELLO/CLIENT SETINFO on connect; restores drop cached keys with SCAN + UNLINK in a
# script. `-@dangerous` last takes away KEYS, FLUSHALL, FLUSHDB, CONFIG, DEBUG, SHUTDOWN, MONITOR …
API_RULES = "~* -@all +@read +@write +@keyspace +@scripting +@connection +@transaction -@dangerous"
# redis_exporter (1.45 and the upstream 1.66): CONFIG GET *, INFO ALL, SLOWLOG LEN/GET, LATENCY
# LATEST/HISTOGRAM, CLIENT SETNAME on connect, PING; no key access, nothing that writes. Only
# commands Redis 7.0 (Debian's build) knows: an unknown one in a `user` line stops the server.
EXPORTER_RULES = (
    "resetkeys -@all +@connection +ping +info +config|get +slowlog|len +slowlog|get "
    "+latency|latest +latency|histogram +client|setname"
)


@dataclass(frozen=True)
class RedisConfig:
    maxmemory_mib: int
    maxmemory_policy: str
    port: int = REDIS.port

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisConfig:
        return cls(maxmemory_mib=settings.redis_maxmemory, maxmemory_policy=settings.redis_maxmemory_policy)


def password_hash(password: str) -> str:
    """The `#<hex>` form redis.conf's `user` lines take: SHA-256 of the password."""
    return hashlib.sha256(password.encode()).hexdigest()


def render_redis_conf(config: RedisConfig, passwords: Mapping[str, str]) -> str:
    """`passwords`: the password of each ACL user (API_USER, EXPORTER_USER)."""
    rules = {API_USER: API_RULES, EXPORTER_USER: EXPORTER_RULES}
    if set(passwords) != set(rules):
        raise ValueError(f"redis.conf needs the passwords of {sorted(rules)}, got {sorted(passwords)}")
    lines = [
        f"port {config.port}",
        "bind 0.0.0.0",
        "protected-mode yes",
        "dir /data",
        "appendonly yes",
        "appendfsync everysec",
        f"maxmemory {config.maxmemory_mib}mb",
        f"maxmemory-policy {config.maxmemory_policy}",
        f"maxclients {MAXCLIENTS}",
        # Unauthenticated connections are the default user: disabled, no password, no commands.
        "user default off resetpass resetkeys resetchannels -@all",
        *(f"user {name} on #{password_hash(passwords[name])} {rule}" for name, rule in rules.items()),
    ]
    return "\n".join(lines) + "\n"
