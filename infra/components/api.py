"""Api: N replicas of the reference API on the backend network only, built from services/api."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_docker as docker

from infra.components._container import RESTART_POLICY, container_labels, healthcheck, networks
from infra.components._images import image_for
from infra.components._secrets import password
from infra.naming import POSTGRES_PORT, REDIS_PORT, api_replica_name
from infra.settings import Settings

# The image's own probe (exit 0 on HTTP 200): no curl/wget needed in the API image.
HEALTHCHECK = ["CMD", "python", "-m", "app.healthcheck", "/health/ready"]
RUN_AS = "10001:10001"


@dataclass(frozen=True, kw_only=True)
class ApiArgs:
    settings: Settings
    backend_network: pulumi.Input[str]
    postgres_host: str
    postgres_password: pulumi.Output[str]
    redis_host: str
    redis_password: pulumi.Output[str]


def _sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Api(pulumi.ComponentResource):
    replicas: list[docker.Container]
    api_key: pulumi.Output[str]

    def __init__(self, name: str, args: ApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Api", name, None, opts)
        settings, stack = args.settings, args.settings.stack
        child = pulumi.ResourceOptions(parent=self)
        self.api_key = password(f"{stack}-api-key", length=40, parent=self)
        image = image_for(settings, "api", self)
        shared_env: list[pulumi.Input[str]] = [
            pulumi.Output.secret(
                args.postgres_password.apply(
                    lambda password: (
                        f"DATABASE_URL=postgresql+asyncpg://{quote(settings.postgres_user)}:"
                        f"{quote(password, safe='')}@{args.postgres_host}:{POSTGRES_PORT}/"
                        f"{settings.postgres_database}"
                    )
                )
            ),
            pulumi.Output.secret(
                args.redis_password.apply(
                    lambda password: (
                        f"REDIS_URL=redis://:{quote(password, safe='')}@{args.redis_host}:{REDIS_PORT}/0"
                    )
                )
            ),
            # Only the hash of the key is handed to the API, yet it derives from a secret: keep it secret.
            pulumi.Output.secret(self.api_key.apply(lambda key: f"API_KEY_HASHES={_sha256_hex(key)}")),
            f"ENVIRONMENT={settings.api_environment}",
            f"LOG_LEVEL={settings.log_level}",
            f"WEB_CONCURRENCY={settings.api_workers}",
            f"TRUSTED_PROXIES={settings.api_trusted_proxies}",
            f"RATE_LIMIT_ENABLED={str(settings.rate_limit_enabled).lower()}",
            f"RATE_LIMIT_WINDOW_SECONDS={settings.rate_limit_window_seconds}",
            f"RATE_LIMIT_READ_LIMIT={settings.rate_limit_read_limit}",
            f"RATE_LIMIT_WRITE_LIMIT={settings.rate_limit_write_limit}",
            f"DB_POOL_SIZE={settings.db_pool_size}",
            # The same body limit as nginx's client_max_body_size, so both answer 413 alike.
            f"MAX_BODY_BYTES={settings.lb_client_max_body_size * 1024}",
        ]
        self.replicas = [
            docker.Container(
                api_replica_name(stack, index),
                name=api_replica_name(stack, index),
                hostname=api_replica_name(stack, index),
                image=image.image_id,
                envs=[*shared_env, f"REPLICA_ID={api_replica_name(stack, index)}"],
                networks_advanced=networks(args.backend_network, alias="api"),
                healthcheck=healthcheck(HEALTHCHECK, start_period="30s"),
                labels=container_labels(stack, "api"),
                user=RUN_AS,
                read_only=True,
                # Writable scratch only: temp files and prometheus_client's multiprocess directory.
                tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},  # noqa: S108 - a private tmpfs
                memory=settings.api_memory,
                cpus=str(settings.api_cpus),
                restart=RESTART_POLICY,
                wait=True,
                wait_timeout=settings.wait_timeout_seconds,
                opts=child,
            )
            for index in range(settings.replicas)
        ]
        self.register_outputs({"replicas": [replica.name for replica in self.replicas]})
