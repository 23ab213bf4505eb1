"""CPU time of processes and containers, read from /proc and the cgroup counters.

CPU per request is a figure that other work on a shared machine barely moves, unlike requests per
second: read a counter before and after a fixed amount of work and divide. A container's counter
covers every process in it (all workers, PostgreSQL's backends). Both cgroup layouts are read:
v1 `cpuacct.usage` (ns) under the cpuacct hierarchy, v2 `cpu.stat` `usage_usec` in the unified one;
the container's own /proc/<pid>/cgroup says where its group is, whichever cgroup driver Docker uses.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Where a v1 host mounts the cpuacct controller (alone, or together with cpu).
V1_CPUACCT_MOUNTS = ("cpuacct", "cpu,cpuacct", "cpuacct,cpu")


class CgroupError(RuntimeError):
    pass


def stat_fields(pid: int, proc: Path = Path("/proc")) -> list[str]:
    """/proc/<pid>/stat from its third field (the state) on: the fields after the command name,
    which is in parentheses and may contain spaces. So field N of proc(5) is [N - 3]."""
    return (proc / str(pid) / "stat").read_text().rpartition(")")[2].split()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` (Linux)."""
    fields = stat_fields(pid)
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / TICKS_PER_SECOND


def processes_cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU seconds of `pids` together; a process gone meanwhile counts nothing."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += process_cpu_seconds(pid)
    return total


def cgroup_version(root: Path = CGROUP_ROOT) -> int:
    """2 on a unified hierarchy (cgroup.controllers at the root), else 1 (hybrid hosts included)."""
    return 2 if (root / "cgroup.controllers").is_file() else 1


def group_path(proc_cgroup: str, version: int) -> str:
    """The group of a process from its /proc/<pid>/cgroup: the cpuacct line (v1) or `0::` (v2)."""
    for line in proc_cgroup.splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if version == 2 and number == "0" and controllers == "":
            return path
        if version == 1 and "cpuacct" in controllers.split(","):
            return path
    raise CgroupError(f"no {'unified' if version == 2 else 'cpuacct'} group in:\n{proc_cgroup}")


def usage_from_cpu_stat(text: str) -> int:
    """Nanoseconds from a v2 cpu.stat (`usage_usec N`)."""
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == "usage_usec":
            return int(value) * 1000
    raise CgroupError("cpu.stat has no usage_usec line")


@dataclass(frozen=True)
class CpuCounter:
    """One cgroup's cumulative CPU time."""

    name: str
    path: Path  # cpuacct.usage (v1) or cpu.stat (v2)

    def nanoseconds(self) -> int:
        text = self.path.read_text()
        return usage_from_cpu_stat(text) if self.path.name == "cpu.stat" else int(text.strip())


def counter_for_pid(name: str, pid: int, root: Path = CGROUP_ROOT, proc: Path = Path("/proc")) -> CpuCounter:
    """The counter of the cgroup that `pid` (a container's main process) lives in."""
    version = cgroup_version(root)
    path = group_path((proc / str(pid) / "cgroup").read_text(), version).lstrip("/")
    if version == 2:
        candidates = [root / path / "cpu.stat"]
    else:
        candidates = [root / mount / path / "cpuacct.usage" for mount in V1_CPUACCT_MOUNTS]
    for candidate in candidates:
        if candidate.is_file():
            return CpuCounter(name, candidate)
    raise CgroupError(f"no CPU counter for {name} (pid {pid}) at {', '.join(map(str, candidates))}")


def read_all(counters: list[CpuCounter]) -> dict[str, int]:
    return {counter.name: counter.nanoseconds() for counter in counters}
