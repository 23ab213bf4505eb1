"""The stack under measurement: where to send requests, and the CPU counters of every container
that serves one (nginx, the API replicas, PostgreSQL, Redis), found by their labels."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import docker

from kit.bench.cpu import CpuCounter, counter_for_pid, processes_cpu_seconds, stat_fields
from kit.contract import ROLE_LABEL, STACK_LABEL, Output
from kit.outputs import load_outputs

# Roles whose containers serve a request, in the order the tables show them.
SERVING_ROLES = ("lb", "api", "postgres", "redis")


class StackError(RuntimeError):
    pass


def proxy_pids(port: int, proc: Path = Path("/proc")) -> list[int]:
    """Docker's userland proxy for a published host port, when the engine uses one: loopback
    traffic to the load balancer passes through it, on the host, outside every container."""
    found = []
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if argv and argv[0].endswith(b"docker-proxy") and b"-host-port" in argv:
            at = argv.index(b"-host-port")
            if at + 1 < len(argv) and argv[at + 1] == str(port).encode():
                found.append(int(cmdline.parent.name))
    return found


# The container engine's daemons: every line a container writes to stdout passes through them.
ENGINE_DAEMONS = (b"dockerd", b"containerd")


def engine_pids(container_pids: list[int], proc: Path = Path("/proc")) -> list[int]:
    """The container engine's processes that carry the containers' output to their logs: the
    daemons, and each container's shim (the parent of its first process). Outside every container,
    so no cgroup counter of the stack sees their CPU. The daemons serve every stack on the host."""
    found = set()
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_bytes().strip() in ENGINE_DAEMONS:
                found.add(int(comm.parent.name))
        except OSError:  # gone meanwhile
            continue
    for pid in container_pids:
        try:
            found.add(int(stat_fields(pid, proc)[1]))  # field 4: the parent
        except OSError:  # gone meanwhile
            continue
    return sorted(found)


@dataclass(frozen=True)
class BenchedStack:
    stack: str
    lb_url: str
    api_key: str
    counters: dict[str, list[CpuCounter]]  # role -> its containers' counters
    proxies: tuple[int, ...] = ()  # docker-proxy processes in front of the load balancer
    engine: tuple[int, ...] = ()  # dockerd, containerd and the serving containers' shims

    @classmethod
    def load(cls, stack: str) -> BenchedStack:
        outputs = load_outputs(stack)
        client = docker.from_env()
        counters: dict[str, list[CpuCounter]] = {}
        pids: list[int] = []
        for role in SERVING_ROLES:
            labels = [f"{STACK_LABEL}={stack}", f"{ROLE_LABEL}={role}"]
            containers = client.containers.list(filters={"label": labels})
            if not containers:
                raise StackError(f"stack {stack!r} has no running {role} container")
            counters[role] = [
                counter_for_pid(str(c.name), int(c.attrs["State"]["Pid"]))
                for c in sorted(containers, key=lambda c: str(c.name))
            ]
            pids += [int(c.attrs["State"]["Pid"]) for c in containers]
        lb_url = str(outputs[Output.LB_URL])
        port = urlsplit(lb_url).port or 80
        return cls(
            stack,
            lb_url,
            str(outputs[Output.API_KEY]),
            counters,
            tuple(proxy_pids(port)),
            tuple(engine_pids(pids)),
        )

    def read(self) -> dict[str, int]:
        """Nanoseconds of CPU each role's containers have used, together."""
        return {role: sum(c.nanoseconds() for c in counters) for role, counters in self.counters.items()}

    def proxy_seconds(self) -> float:
        """CPU seconds of the userland proxies (0 without one)."""
        return processes_cpu_seconds(self.proxies)

    def engine_seconds(self) -> float:
        """CPU seconds of the container engine's processes (engine_pids)."""
        return processes_cpu_seconds(self.engine)

    def containers(self) -> dict[str, list[str]]:
        return {role: [c.name for c in counters] for role, counters in self.counters.items()}


@dataclass(frozen=True)
class MachineSample:
    """/proc/stat's busy and total jiffies, and the wall clock, at one moment."""

    busy: int
    total: int
    at: float

    @classmethod
    def now(cls, stat: Path = Path("/proc/stat")) -> MachineSample:
        fields = [int(v) for v in stat.read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return cls(sum(fields[:8]) - idle, sum(fields[:8]), time.monotonic())


def busy_cores(before: MachineSample, after: MachineSample, cores: int) -> float:
    """How many cores were busy on average between two samples (anything on the machine)."""
    total = after.total - before.total
    return cores * (after.busy - before.busy) / total if total > 0 else 0.0
