"""A provisioned stack as the drills see it: URLs and key from its outputs, containers by label.

Containers are found by `proving-ground.stack` / `role` / `index` labels, never by name, so a
rollout that renames them leaves the drills working. Postgres is queried inside its container
(`docker exec … psql`, as backups do): the backend network is never published.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import docker
from docker.models.containers import Container

from kit.backup.stack import StackTarget, stderr_text
from kit.contract import INDEX_LABEL, ROLE_LABEL, STACK_LABEL, Output
from kit.outputs import load_outputs


class DrillError(RuntimeError):
    """The stack cannot be drilled as asked (exit 2)."""


@dataclass(frozen=True)
class DrillStack:
    name: str
    lb_url: str
    prometheus_url: str
    alertmanager_url: str
    api_key: str
    frontend_network: str
    database: StackTarget
    docker: docker.DockerClient

    @classmethod
    def load(cls, name: str) -> DrillStack:
        outputs = load_outputs(name)
        try:
            return cls(
                name=name,
                lb_url=str(outputs[Output.LB_URL]).rstrip("/"),
                prometheus_url=str(outputs[Output.PROMETHEUS_URL]).rstrip("/"),
                alertmanager_url=str(outputs[Output.ALERTMANAGER_URL]).rstrip("/"),
                api_key=str(outputs[Output.API_KEY]),
                frontend_network=str(outputs[Output.NETWORKS]["frontend"]),
                database=StackTarget.load(name),
                docker=docker.from_env(),
            )
        except (KeyError, TypeError) as error:
            raise DrillError(f"stack '{name}' outputs lack {error} (see docs/design.md)") from error

    def containers(self, role: str) -> list[Container]:
        """The role's containers, stopped ones included, in index order."""
        found = self.docker.containers.list(
            all=True, filters={"label": [f"{STACK_LABEL}={self.name}", f"{ROLE_LABEL}={role}"]}
        )
        return sorted(found, key=lambda c: int(c.labels.get(INDEX_LABEL, "0")))

    def container(self, role: str, index: int | None = None) -> Container:
        found = [c for c in self.containers(role) if index is None or c.labels.get(INDEX_LABEL) == str(index)]
        if len(found) != 1:
            raise DrillError(f"stack '{self.name}' has {len(found)} '{role}' containers (index {index})")
        return found[0]

    def psql(self, sql: str) -> list[list[str]]:
        """Rows of `sql` run as the API's database user, fields split on '|'."""
        db = self.database
        result = db.postgres_exec(
            ["psql", *db.pg_args(), f"--dbname={db.database}", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]
        )
        if result.returncode != 0:
            raise DrillError(f"psql in {db.postgres_container}: {stderr_text(result)}")
        return [line.split("|") for line in result.stdout.decode().splitlines() if line]

    def postgres_accepts(self) -> bool:
        """pg_isready over loopback TCP inside the postgres container: the server takes connections."""
        db = self.database
        ready = subprocess.run(
            ["docker", "exec", db.postgres_container, "pg_isready", "-q", *db.pg_args()],
            capture_output=True,
            check=False,
        )
        return ready.returncode == 0

    def lb_errors(self, since: float) -> dict[str, int]:
        """nginx's error-log messages since `since` (wall clock), counted, without client details."""
        logs = self.container("lb").logs(stdout=False, stderr=True, since=int(since))
        lines = logs.decode(errors="replace")
        found: dict[str, int] = {}
        for line in lines.splitlines():
            match = re.search(r"\[(?:error|warn|crit|alert|emerg)\] [0-9#]+: (?:\*\d+ )?([^,]+)", line)
            if match:
                found[match[1]] = found.get(match[1], 0) + 1
        return found

    def lb_proxy_timeout(self) -> float:
        """nginx's proxy_read_timeout as the running load balancer has it, in seconds."""
        code, output = self.container("lb").exec_run(["cat", "/etc/nginx/nginx.conf"])
        match = re.search(r"proxy_read_timeout\s+(\d+)(ms|s|m)?;", output.decode()) if code == 0 else None
        if match is None:
            raise DrillError("cannot read proxy_read_timeout from the load balancer's nginx.conf")
        return int(match[1]) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match[2]]
