"""Postgres: one container on the backend network, data in a named volume kept on delete.

Three roles, each with its own generated password: the superuser the image initialises
(`postgres`, for administration only), the API's role (`postgresUser`: owner of its database and
of nothing else, not a superuser) and the exporter's (`exporter`, a `pg_monitor` member). Every
connection, the Unix socket included, authenticates with scram-sha-256: pg_hba.conf has no
`trust` and no `md5` line, and passwords are stored as SCRAM verifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from infra.components._container import Placement, data_volume, healthcheck, role_container
from infra.components._secrets import password
from infra.settings.model import RESERVED_POSTGRES_USERS
from infra.topology import POSTGRES, container_name

SUPERUSER, EXPORTER_USER = RESERVED_POSTGRES_USERS
AUTH_METHOD = "scram-sha-256"
# Both images' entry points run /docker-entrypoint-initdb.d/*.sh once, on an empty data directory,
# with the superuser's password in PGPASSWORD (the socket asks for it too).
ROLES_SCRIPT = "/docker-entrypoint-initdb.d/10-stack-roles.sh"
ENTRYPOINT = ["docker-entrypoint.sh"]  # the image's own (upstream and Debian-built)


def roles_script(user: str, database: str) -> str:
    """The API's role owns its database (and so its `public` schema); nobody else may connect but
    the exporter, which only reads statistics. Passwords come from the environment."""
    return f"""\
# Written by the stack (infra/components/postgres.py): the API's and the exporter's roles.
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
  --set app_password="$APP_DB_PASSWORD" --set exporter_password="$EXPORTER_DB_PASSWORD" <<'SQL'
CREATE ROLE "{user}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
ALTER DATABASE "{database}" OWNER TO "{user}";
REVOKE ALL ON DATABASE "{database}" FROM PUBLIC;
CREATE ROLE {EXPORTER_USER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'exporter_password' IN ROLE pg_monitor;
GRANT CONNECT ON DATABASE "{database}" TO {EXPORTER_USER};
SQL
"""


@dataclass(frozen=True, kw_only=True)
class PostgresArgs:
    placement: Placement
    backend_network: pulumi.Input[str]
    user: str
    database: str
    password: pulumi.Output[str] | None = None  # the API role's; None: generate one


class Postgres(pulumi.ComponentResource):
    container: docker.Container
    password: pulumi.Output[str]  # the API role's
    admin_password: pulumi.Output[str]  # the superuser's
    exporter_user: str
    exporter_password: pulumi.Output[str]
    host: str
    port: int
    user: str
    database: str
    volume_name: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:Postgres", name, None, opts)
        stack = args.placement.stack
        self.host, self.port = container_name(stack, POSTGRES), POSTGRES.port
        self.user, self.database = args.user, args.database
        self.password = password(f"{stack}-postgres-password", length=32, given=args.password, parent=self)
        self.admin_password = password(f"{stack}-postgres-admin-password", length=32, parent=self)
        self.exporter_user = EXPORTER_USER
        self.exporter_password = password(f"{stack}-postgres-exporter-password", length=32, parent=self)
        # Data outlives the stack: `pulumi destroy` leaves it; remove it by hand when meant.
        volume = data_volume(stack, POSTGRES, self, retain_on_delete=True)
        self.volume_name = volume.name
        self.container = role_container(
            args.placement,
            POSTGRES,
            self,
            image=args.placement.images.image(POSTGRES, self).image_id,
            entrypoint=ENTRYPOINT,
            command=["postgres", "-c", f"password_encryption={AUTH_METHOD}"],
            envs=[
                f"POSTGRES_USER={SUPERUSER}",
                f"POSTGRES_DB={args.database}",
                f"POSTGRES_INITDB_ARGS=--auth-local={AUTH_METHOD} --auth-host={AUTH_METHOD}",
                f"POSTGRES_HOST_AUTH_METHOD={AUTH_METHOD}",
                pulumi.Output.secret(pulumi.Output.concat("POSTGRES_PASSWORD=", self.admin_password)),
                pulumi.Output.secret(pulumi.Output.concat("APP_DB_PASSWORD=", self.password)),
                pulumi.Output.secret(pulumi.Output.concat("EXPORTER_DB_PASSWORD=", self.exporter_password)),
            ],
            files={ROLES_SCRIPT: roles_script(args.user, args.database)},
            volume=volume,
            networks=[args.backend_network],
            # Over TCP: during first-start init the entrypoint's temporary server listens only on
            # the socket, so a socket probe would report ready before the real server is up.
            # pg_isready only asks whether connections are accepted: no password needed.
            healthcheck=healthcheck(
                ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-U", args.user, "-d", args.database],
                start_period="30s",
            ),
            shm_size=128,
        )
        self.register_outputs({"host": self.host, "port": self.port, "volume": self.volume_name})
