"""The container hardening policy (the CIS Docker Benchmark's runtime section) and the one table
of per-role deviations from it, each with its reason.

Every container gets the policy from `role_container` (infra/components/_container.py): its
role's non-root user, `cap_drop: ALL`, `no-new-privileges`, a read-only root filesystem, a
process limit, CPU and memory limits from the stack's settings, the default seccomp profile, not
privileged. What a role needs beyond that is a row of `DEVIATIONS`: a tmpfs where the tool must
write, a ulimit its configuration depends on, a capability it keeps. The testinfra suite
(tests/infra/test_hardening.py) reads each setting back from the running containers and fails on
any difference the table does not explain; docs/design.md lists the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from infra.configs.nginx.render import WORKER_CONNECTIONS, WORKER_RLIMIT_NOFILE
from infra.configs.redis.render import MAXCLIENTS, NOFILE_NEEDED
from infra.topology import ROLES

CAP_DROP = ("ALL",)  # CIS 5.3: no capability but those a role's row keeps
SECURITY_OPTS = ("no-new-privileges:true",)  # CIS 5.25; the default seccomp profile stays (5.21)
# CIS 5.28's bound on processes. pulumi-docker's Container (5.2.0) has no `pidsLimit` input, so the
# cgroup pids controller cannot be set from the program; RLIMIT_NPROC (`ulimits: nproc`) is the
# bound it can declare. The kernel counts it per uid across the host, not per container: it stops
# a fork bomb at this many tasks of that uid (threads included) before it exhausts the host's.
PROCESS_LIMIT = 4096
# Every tmpfs: nothing on it executes, setuid bits and device files mean nothing.
TMPFS_OPTIONS = "rw,noexec,nosuid,nodev"


class Control(StrEnum):
    """What the policy applies to every container (and a deviation may name)."""

    NON_ROOT = "non-root user"  # CIS 4.1
    CAP_DROP_ALL = "cap_drop ALL"  # CIS 5.3
    NO_NEW_PRIVILEGES = "no-new-privileges"  # CIS 5.25
    READ_ONLY_ROOTFS = "read-only root filesystem"  # CIS 5.12
    PROCESS_LIMIT = "process limit"  # CIS 5.28


@dataclass(frozen=True, kw_only=True)
class Deviation:
    """One row of the table: a role, the setting it deviates in, the value, and why."""

    role: str
    reason: str
    SETTING: ClassVar[str] = ""  # what the row is about, as docs/design.md's table names it
    VALUE: ClassVar[str] = ""  # the field that is its value (or override `value`)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"hardening deviation for unknown role {self.role!r}")
        if not self.reason.strip():
            raise ValueError(f"{self.role}: a deviation needs its reason")

    @property
    def setting(self) -> str:
        return self.SETTING

    @property
    def value(self) -> str:
        return str(getattr(self, self.VALUE))


@dataclass(frozen=True, kw_only=True)
class Writable(Deviation):
    """A tmpfs on the read-only root filesystem (a role's data volume is its `data_dir`)."""

    SETTING: ClassVar[str] = "writable tmpfs"

    path: str
    size: str  # tmpfs size, e.g. "1m"

    @property
    def value(self) -> str:
        return f"{self.path} ({self.size})"

    @property
    def options(self) -> str:
        """Owned by the role's user (the runtime keeps the image directory's mode, not its owner)."""
        uid, _, gid = ROLES[self.role].user.partition(":")
        return f"{TMPFS_OPTIONS},size={self.size},uid={uid},gid={gid or uid}"


@dataclass(frozen=True, kw_only=True)
class Ulimit(Deviation):
    """A resource limit (soft = hard) the tool's own configuration is sized against."""

    SETTING: ClassVar[str] = "ulimit"

    name: str
    limit: int

    @property
    def value(self) -> str:
        return f"{self.name}={self.limit}"


@dataclass(frozen=True, kw_only=True)
class KeepCapability(Deviation):
    """A capability added back after `cap_drop: ALL`."""

    SETTING: ClassVar[str] = "cap_add"
    VALUE: ClassVar[str] = "capability"

    capability: str


@dataclass(frozen=True, kw_only=True)
class Exempt(Deviation):
    """A control the role does without."""

    SETTING: ClassVar[str] = "exempt"
    VALUE: ClassVar[str] = "control"

    control: Control


TMP = "/tmp"  # noqa: S108 - each container's own tmpfs


def _scratch(role: str, size: str, reason: str) -> Writable:
    """The role's /tmp."""
    return Writable(role=role, path=TMP, size=size, reason=reason)


def _config_files(role: str, path: str, size: str, what: str) -> Writable:
    """Where a role's files go: the entry point writes them at start from the environment."""
    return Writable(
        role=role,
        path=path,
        size=size,
        reason=f"{what}, written there at start (a read-only rootfs takes no uploads)",
    )


# The one table. No role keeps a capability or is exempt from a control: every tool runs as its
# own user from its first process on (no root entry point that chowns, then drops privileges),
# listens on unprivileged ports, and writes only where a row (or its data volume) says.
DEVIATIONS: tuple[Deviation, ...] = (
    _config_files("lb", "/etc/nginx", "1m", "nginx.conf and the TLS pair"),
    _scratch(
        "lb",
        "16m",
        "nginx's pid file and its client-body and proxy temp files (an unprivileged master cannot "
        "write its compiled-in paths)",
    ),
    Ulimit(
        role="lb",
        name="nofile",
        limit=WORKER_RLIMIT_NOFILE,
        reason=f"= worker_rlimit_nofile, 2 x worker_connections ({WORKER_CONNECTIONS}): a proxied "
        "request holds a client and an upstream socket",
    ),
    _scratch("api", "64m", "temp files and prometheus_client's multiprocess directory (WEB_CONCURRENCY > 1)"),
    Writable(
        role="postgres",
        path="/run/postgresql",  # /var/run/postgresql, the socket directory (/var/run is /run)
        size="1m",
        reason="the server's Unix socket and its lock file",
    ),
    _config_files(
        "postgres",
        "/docker-entrypoint-initdb.d",
        "1m",
        "the script creating the API's and the exporter's roles",
    ),
    _config_files("redis", "/usr/local/etc/redis", "1m", "redis.conf with the ACL users"),
    Ulimit(
        role="redis",
        name="nofile",
        limit=NOFILE_NEEDED,
        reason=f"maxclients ({MAXCLIENTS}) + the 32 descriptors Redis keeps: with fewer it lowers "
        "maxclients at start",
    ),
    _config_files("prometheus", "/etc/prometheus", "4m", "prometheus.yml and the rule files"),
    _config_files("alertmanager", "/etc/alertmanager", "1m", "alertmanager.yml"),
    Writable(
        role="alertmanager",
        path="/alertmanager",
        size="16m",
        reason="silences and the notification log (--storage.path), kept while the container lives",
    ),
    _config_files("grafana", "/etc/grafana/provisioning", "1m", "the datasource and the dashboard provider"),
    _config_files("grafana", "/etc/grafana/dashboards", "4m", "the dashboards"),
    _scratch(
        "grafana",
        "16m",
        "Grafana's temp files (plugin downloads, exports); kept without a run to prove it unneeded: "
        "the upstream image cannot be pulled where this was hardened",
    ),
)


def deviations(role: str) -> list[Deviation]:
    return [row for row in DEVIATIONS if row.role == role]


def exempt(role: str, control: Control) -> bool:
    return any(isinstance(row, Exempt) and row.control is control for row in deviations(role))


def tmpfs(role: str) -> dict[str, str]:
    """path -> mount options of the role's tmpfs mounts."""
    return {row.path: row.options for row in deviations(role) if isinstance(row, Writable)}


def ulimits(role: str) -> dict[str, int]:
    """name -> limit (soft = hard): the process limit, and the role's own rows."""
    common = {} if exempt(role, Control.PROCESS_LIMIT) else {"nproc": PROCESS_LIMIT}
    return {**common, **{row.name: row.limit for row in deviations(role) if isinstance(row, Ulimit)}}


def cap_drop(role: str) -> list[str]:
    return [] if exempt(role, Control.CAP_DROP_ALL) else list(CAP_DROP)


def cap_add(role: str) -> list[str]:
    return sorted(row.capability for row in deviations(role) if isinstance(row, KeepCapability))


def security_opts(role: str) -> list[str]:
    return [] if exempt(role, Control.NO_NEW_PRIVILEGES) else list(SECURITY_OPTS)


def read_only(role: str) -> bool:
    return not exempt(role, Control.READ_ONLY_ROOTFS)


def must_be_non_root(role: str) -> bool:
    return not exempt(role, Control.NON_ROOT)
