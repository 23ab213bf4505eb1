"""Api: N replicas of the reference API on the backend network only, built from services/api."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, healthcheck, role_container
from infra.components._secrets import password
from infra.settings import Settings
from infra.topology import API, container_name

# The image's own probe (exit 0 on HTTP 200): no curl/wget needed in the API image.
HEALTHCHECK = ["CMD", "python", "-m", "app.healthcheck", "/health/ready"]
# In-flight requests get this long once the drain is over (uvicorn's graceful shutdown).
SHUTDOWN_GRACE_SECONDS = 20
STOP_MARGIN_SECONDS = 5  # for the process to exit after both


def api_environment(settings: Settings) -> dict[str, str]:
    """The API's own settings (services/api/app/core/settings.py), from the stack's."""
    return {
        "ENVIRONMENT": settings.api_environment,
        "LOG_LEVEL": settings.log_level,
        "WEB_CONCURRENCY": str(settings.api_workers),
        "TRUSTED_PROXIES": settings.api_trusted_proxies,
        "RATE_LIMIT_ENABLED": str(settings.rate_limit_enabled).lower(),
        "RATE_LIMIT_WINDOW_SECONDS": str(settings.rate_limit_window_seconds),
        "RATE_LIMIT_READ_LIMIT": str(settings.rate_limit_read_limit),
        "RATE_LIMIT_WRITE_LIMIT": str(settings.rate_limit_write_limit),
        "DB_POOL_SIZE": str(settings.db_pool_size),
        # The same body limit as nginx's client_max_body_size, so both answer 413 alike.
        "MAX_BODY_BYTES": str(settings.lb_client_max_body_size * 1024),
    }


@dataclass(frozen=True, kw_only=True)
class Database:
    """Where and as whom the API reaches PostgreSQL (its own role, owner of its database only)."""

    host: str
    port: int
    user: str
    name: str
    password: pulumi.Output[str]


@dataclass(frozen=True, kw_only=True)
class ApiArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    replicas: int
    drain_seconds: int  # out of the load balancer's readiness, still serving, after SIGTERM
    environment: Mapping[str, str]
    database: Database
    redis_host: str
    redis_port: int
    redis_user: str  # its ACL user (infra/configs/redis)
    redis_password: pulumi.Output[str]


def _sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Api(pulumi.ComponentResource):
    replicas: list[docker.Container]
    hosts: list[str]  # the replicas' names on the backend network, in index order
    alias: str  # the name every replica answers to on the backend network (the load balancer's)
    port: int
    api_key: pulumi.Output[str]

    def __init__(self, name: str, args: ApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Api", name, None, opts)
        stack, db = args.placement.stack, args.database
        self.port, self.alias = API.port, API.name
        self.api_key = password(f"{stack}-api-key", length=40, parent=self)
        image = args.placement.images.image(API, self)
        database_url = db.password.apply(
            lambda secret: (
                f"DATABASE_URL=postgresql+asyncpg://{quote(db.user)}:{quote(secret, safe='')}"
                f"@{db.host}:{db.port}/{db.name}"
            )
        )
        redis_url = args.redis_password.apply(
            lambda secret: (
                f"REDIS_URL=redis://{quote(args.redis_user)}:{quote(secret, safe='')}"
                f"@{args.redis_host}:{args.redis_port}/0"
            )
        )
        shared_env: list[pulumi.Input[str]] = [
            pulumi.Output.secret(database_url),
            pulumi.Output.secret(redis_url),
            # Only the hash of the key is handed to the API, yet it derives from a secret: keep it secret.
            pulumi.Output.secret(self.api_key.apply(lambda key: f"API_KEY_HASHES={_sha256_hex(key)}")),
            *(f"{key}={value}" for key, value in args.environment.items()),
        ]
        self.hosts = [container_name(stack, API, index) for index in range(args.replicas)]
        lifecycle = [
            f"DRAIN_SECONDS={args.drain_seconds}",
            f"SHUTDOWN_GRACE_SECONDS={SHUTDOWN_GRACE_SECONDS}",
        ]
        stop_seconds = args.drain_seconds + SHUTDOWN_GRACE_SECONDS + STOP_MARGIN_SECONDS
        # A rolling update: each replica depends on the one before, so the engine replaces them one at
        # a time (old one drained and deleted, new one created and healthy, then the next), and the
        # load balancer's discovery sends nothing to one that is not ready. A first `up` starts them
        # one after the other too.
        self.replicas = []
        for index, host in enumerate(self.hosts):
            self.replicas.append(
                role_container(
                    args.placement,
                    API,
                    self,
                    index=index,
                    image=image.image_id,
                    envs=[*shared_env, *lifecycle, f"REPLICA_ID={host}"],
                    networks=[args.backend_network],
                    healthcheck=healthcheck(HEALTHCHECK, start_period="30s"),
                    stop_seconds=stop_seconds,
                    depends_on=self.replicas[-1:],
                )
            )
        self.register_outputs({"replicas": [replica.name for replica in self.replicas]})
