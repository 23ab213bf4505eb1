"""Every container is hardened as infra/hardening.py says (the CIS Docker Benchmark's runtime
section), read back from the running containers: Docker's own record (`docker inspect`) and the
kernel's view from inside (/proc/<pid>/status, limits, mounts) of every process they run.

What a role may have beyond the policy comes only from `infra.hardening.DEVIATIONS`, the table the
program applies too; anything else (a capability, a writable path, a missing no-new-privileges, a
root process) fails, naming the container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError

from infra import hardening
from infra.topology import ROLES
from tests.infra.stack import StackUnderTest, engine, host

# Linux capability numbers (linux/capability.h), for reading the Cap* masks.
CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
)  # fmt: skip
# What Docker itself mounts into every container (not part of the image's root filesystem).
RUNTIME_MOUNTS = {
    "/dev",
    "/dev/shm",
    "/dev/mqueue",
    "/dev/pts",
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
}
RUNTIME_PREFIXES = ("/proc", "/sys", "/dev/")
LIMIT_NAMES = {"nproc": "Max processes", "nofile": "Max open files"}


def _cap_name(name: str) -> str:
    return name.upper().removeprefix("CAP_")


def _mask(names: list[str]) -> int:
    return sum(1 << CAPABILITIES.index(_cap_name(name)) for name in names)


def _names(mask: int) -> list[str]:
    return [name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1] or ["none"]


@dataclass
class Inside:
    """The kernel's view of a running container: through `docker exec` when the image has a shell,
    else (an image FROM scratch) through the host's /proc, when the engine runs on this host."""

    name: str
    attrs: dict[str, Any]

    @property
    def running(self) -> bool:
        return bool(self.attrs["State"]["Status"] == "running")

    def _has_shell(self) -> bool:
        try:
            return int(engine().containers.get(self.name).exec_run(["/bin/sh", "-c", "true"]).exit_code) == 0
        except APIError:
            return False

    def read_all(self, pattern: str) -> list[str]:
        """The contents of `/proc/<pid>/<pattern>` for every process the container runs."""
        if self._has_shell():
            # A process may exit between the glob and its `cat` (a healthcheck, this shell's own
            # children): skip it, and end with `true` so that the loop's status is not the last cat's.
            script = f'for f in /proc/[0-9]*/{pattern}; do cat "$f" 2>/dev/null && echo "\\f"; done; true'
            return [text for text in host(self.name).check_output(script).split("\f") if text.strip()]
        pids = [int(row[1]) for row in engine().containers.get(self.name).top()["Processes"]]
        files = [Path(f"/proc/{pid}/{pattern}") for pid in pids]
        if not files or not files[0].exists():
            pytest.fail(f"{self.name}: no shell in the image and its processes are not on this host's /proc")
        return [path.read_text() for path in files if path.exists()]

    def first(self, pattern: str) -> str:
        """`/proc/1/<pattern>` (the container's main process)."""
        if self._has_shell():
            return str(host(self.name).file(f"/proc/1/{pattern}").content_string)
        return Path(f"/proc/{self.attrs['State']['Pid']}/{pattern}").read_text()


def _status(text: str) -> dict[str, str]:
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}


@pytest.fixture
def inspected(stack: StackUnderTest, container: str) -> tuple[str, Inside]:
    return stack.containers[container], Inside(container, engine().containers.get(container).attrs)


def _require_running(inside: Inside) -> None:
    if not inside.running:  # an exited one-shot (loadgen): judged from its configuration alone
        pytest.skip(f"{inside.name} is {inside.attrs['State']['Status']}: nothing runs to look into")


def test_every_process_runs_as_the_declared_non_root_user(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    declared = ROLES[role].user
    assert inside.attrs["Config"]["User"] == declared, (
        f"{inside.name} ({role}) user: {inside.attrs['Config']['User']!r}"
    )
    if not hardening.must_be_non_root(role):
        return
    uid, _, gid = declared.partition(":")
    assert uid != "0", f"{role}: infra/topology.py declares root"
    _require_running(inside)
    for text in inside.read_all("status"):
        status = _status(text)
        assert set(status["Uid"].split()) == {uid}, (
            f"{inside.name}: {status['Name']} runs as uid {status['Uid']}"
        )
        assert set(status["Gid"].split()) == {gid}, (
            f"{inside.name}: {status['Name']} runs as gid {status['Gid']}"
        )


def test_docker_drops_every_capability_but_those_the_table_keeps(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    config = inside.attrs["HostConfig"]
    kept = hardening.cap_add(role)
    drops = [_cap_name(name) for name in config.get("CapDrop") or []]
    adds = sorted(_cap_name(name) for name in config.get("CapAdd") or [])
    assert drops == [_cap_name(name) for name in hardening.cap_drop(role)], (
        f"{inside.name} ({role}) CapDrop {drops}"
    )
    assert adds == [_cap_name(name) for name in kept], (
        f"{inside.name} ({role}) regained {adds} (table: {kept})"
    )
    assert not config.get("Privileged"), f"{inside.name} is privileged"


def test_no_process_holds_a_capability_the_table_does_not_keep(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    _require_running(inside)
    kept = hardening.cap_add(role)
    allowed = _mask(kept)
    for text in inside.read_all("status"):
        status = _status(text)
        for key in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
            mask = int(status[key], 16)
            extra = _names(mask & ~allowed)
            assert not mask & ~allowed, f"{inside.name}: {status['Name']} {key} holds {extra} (table: {kept})"


def test_docker_sets_no_new_privileges_and_keeps_seccomp(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    options = inside.attrs["HostConfig"].get("SecurityOpt") or []
    for option in hardening.security_opts(role):
        assert option in options or option.removesuffix(":true") in options, (
            f"{inside.name} ({role}) security options {options}: no {option}"
        )
    assert not any(o.startswith(("seccomp=unconfined", "seccomp:unconfined")) for o in options), (
        f"{inside.name}: the default seccomp profile is off ({options})"
    )
    assert not any("apparmor=unconfined" in o or "apparmor:unconfined" in o for o in options), options


def test_no_process_may_gain_privileges(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    _require_running(inside)
    for text in inside.read_all("status"):
        status = _status(text)
        if hardening.security_opts(role):
            assert status["NoNewPrivs"] == "1", (
                f"{inside.name}: {status['Name']} may gain privileges (NoNewPrivs 0)"
            )
        assert status["Seccomp"] == "2", f"{inside.name}: {status['Name']} has no seccomp filter"


def test_root_filesystem_is_read_only_and_writable_only_where_declared(
    stack: StackUnderTest, inspected: tuple[str, Inside]
) -> None:
    role, inside = inspected
    config = inside.attrs["HostConfig"]
    assert config.get("ReadonlyRootfs") is hardening.read_only(role), (
        f"{inside.name} ({role}) rootfs is writable"
    )
    declared = hardening.tmpfs(role)
    assert (config.get("Tmpfs") or {}) == declared, f"{inside.name} ({role}) tmpfs {config.get('Tmpfs')}"
    data_dir = ROLES[role].data_dir
    for mount in inside.attrs["Mounts"]:
        assert mount["Type"] == "volume", f"{inside.name} mounts {mount['Type']} {mount.get('Source')}"
        assert (mount["Destination"], mount["Name"]) == (data_dir, f"{stack.name}-{role}-data"), (
            f"{inside.name} ({role}) mounts volume {mount['Name']} at {mount['Destination']}"
        )
    _require_running(inside)
    writable = []
    for line in inside.first("mounts").splitlines():
        _, target, _, options, *_ = line.split()
        if "rw" not in options.split(","):
            continue
        if target == "/":
            pytest.fail(f"{inside.name}: / is mounted read-write")
        if target in RUNTIME_MOUNTS or target.startswith(RUNTIME_PREFIXES):
            continue
        writable.append(target)
    explained = {*declared, *([data_dir] if inside.attrs["Mounts"] else [])}
    assert set(writable) <= explained, f"{inside.name} ({role}) writable {sorted(set(writable) - explained)}"
    for target in declared:
        assert target in writable, f"{inside.name} ({role}): tmpfs {target} is not mounted"


def test_has_the_process_limit_and_the_ulimits_its_config_needs(inspected: tuple[str, Inside]) -> None:
    role, inside = inspected
    wanted = hardening.ulimits(role)
    recorded = {u["Name"]: (u["Soft"], u["Hard"]) for u in inside.attrs["HostConfig"].get("Ulimits") or []}
    assert recorded == {name: (limit, limit) for name, limit in wanted.items()}, (
        f"{inside.name} ({role}) ulimits"
    )
    assert "nproc" in wanted or hardening.exempt(role, hardening.Control.PROCESS_LIMIT)
    _require_running(inside)
    limits = inside.first("limits")
    for name, limit in wanted.items():
        row = next(line for line in limits.splitlines() if line.startswith(LIMIT_NAMES[name]))
        soft, hard = row.removeprefix(LIMIT_NAMES[name]).split()[:2]
        assert (int(soft), int(hard)) == (limit, limit), f"{inside.name}: {row.strip()}, want {name}={limit}"


def test_cpu_and_memory_are_limited_as_configured(
    stack: StackUnderTest, inspected: tuple[str, Inside]
) -> None:
    role, inside = inspected
    config = inside.attrs["HostConfig"]
    cpus, memory = config["NanoCpus"] / 1e9, config["Memory"] // (1024 * 1024)
    assert cpus > 0, f"{inside.name} ({role}): no CPU limit"
    assert memory > 0, f"{inside.name} ({role}): no memory limit"
    if stack.settings is not None:  # the offline provisioner recorded the config: exact figures
        limits = stack.settings.limits()[ROLES[role].limits]
        assert (cpus, memory) == (limits.cpus, limits.memory), (
            f"{inside.name} ({role}): {cpus} CPUs, {memory} MiB"
        )


def test_shares_nothing_with_the_host(inspected: tuple[str, Inside]) -> None:
    _, inside = inspected
    config = inside.attrs["HostConfig"]
    shared = {
        key: config.get(key)
        # (CgroupnsMode is "host" by default on cgroup v1 hosts, and no CIS control.)
        for key in ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode")
        if config.get(key) == "host"
    }
    assert not shared, f"{inside.name} shares the host's namespaces: {shared}"
    assert not config.get("Devices"), f"{inside.name} has host devices {config.get('Devices')}"
    assert not config.get("CgroupParent"), f"{inside.name} cgroup parent {config.get('CgroupParent')}"
    low = [b["HostPort"] for items in (config.get("PortBindings") or {}).values() for b in items or []
           if int(b["HostPort"] or 0) < 1024]  # fmt: skip
    assert not low, f"{inside.name} publishes privileged host ports {low}"


def test_nginx_may_open_what_worker_connections_promises(lb_container: str) -> None:
    conf = host(lb_container).check_output("nginx -T 2>/dev/null")
    connections = int(re.search(r"^\s*worker_connections\s+(\d+);", conf, re.MULTILINE).group(1))  # type: ignore[union-attr]
    rlimit = int(re.search(r"^\s*worker_rlimit_nofile\s+(\d+);", conf, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert rlimit >= 2 * connections, f"worker_rlimit_nofile {rlimit} < 2 x worker_connections {connections}"
    assert hardening.ulimits("lb")["nofile"] == rlimit, "the container's nofile ulimit and nginx's differ"
