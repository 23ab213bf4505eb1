"""Translating `docker.Container` inputs into Docker SDK arguments, with the provider's defaults.

Defaults are the Docker provider's, which never reach the inputs: ports bind 0.0.0.0/tcp,
restart "no", start and mustRun true, wait false with a 60 s timeout.
"""

from __future__ import annotations

import base64
import io
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker.types import Mount, Ulimit

from kit.engine.offline.docker_objects import auto_name
from kit.engine.offline.values import Inputs, go_duration_ns

# Inputs that only matter to update or destroy, which this engine never does.
CREATE_IRRELEVANT = (
    "mustRun",
    "destroyGraceSeconds",
    "removeVolumes",
    "stopTimeout",
    "logs",
    "attach",
    "containerReadRefreshTimeoutMilliseconds",
)


# Inputs the Docker SDK takes unchanged, under its own name.
RENAMED_AS_IS = {
    "command": "command", "entrypoints": "entrypoint", "envs": "environment", "tmpfs": "tmpfs",
    "readOnly": "read_only", "user": "user", "hostname": "hostname", "workingDir": "working_dir",
    "init": "init", "stopSignal": "stop_signal", "securityOpts": "security_opt", "sysctls": "sysctls",
}  # fmt: skip


@dataclass(frozen=True)
class ExtraNetwork:
    name: str
    aliases: list[str] | None
    ipv4_address: str | None


@dataclass(frozen=True)
class ContainerSpec:
    create_kwargs: dict[str, Any]
    extra_networks: list[ExtraNetwork]
    upload_archive: bytes | None
    wait: bool
    wait_timeout: float

    @property
    def name(self) -> str:
        return str(self.create_kwargs["name"])


def _healthcheck(block: Inputs | None) -> dict[str, Any] | None:
    if block is None:
        return None
    result = {
        "test": block.require("tests"),
        "interval": go_duration_ns(block.get("interval", "0s"), field="healthcheck.interval"),
        "timeout": go_duration_ns(block.get("timeout", "0s"), field="healthcheck.timeout"),
        "start_period": go_duration_ns(block.get("startPeriod", "0s"), field="healthcheck.startPeriod"),
        "retries": block.get("retries", 0),
    }
    if block.get("startInterval"):
        result["start_interval"] = go_duration_ns(
            block.get("startInterval"), field="healthcheck.startInterval"
        )
    block.done()
    return result


def _ports(inputs: Inputs) -> dict[str, list[tuple[Any, ...]]]:
    bindings: dict[str, list[tuple[Any, ...]]] = {}
    for port in inputs.blocks("ports"):
        key = f"{port.require('internal')}/{port.get('protocol', 'tcp')}"
        host_ip, external = port.get("ip", "0.0.0.0"), port.get("external")  # noqa: S104 - provider default
        # Without `external` the engine picks a free host port, as the provider lets it.
        bindings.setdefault(key, []).append((host_ip, external) if external else (host_ip,))
        port.done()
    return bindings


def _mounts(inputs: Inputs) -> list[Mount]:
    mounts = []
    for mount in inputs.blocks("mounts"):
        tmpfs = mount.block("tmpfsOptions") or Inputs({}, "tmpfsOptions")
        mounts.append(
            Mount(
                target=mount.require("target"),
                source=mount.get("source"),
                type=mount.require("type"),
                read_only=mount.get("readOnly", False),
                tmpfs_size=tmpfs.get("sizeBytes"),
                tmpfs_mode=tmpfs.get("mode"),
            )
        )
        tmpfs.done()
        mount.done()
    for volume in inputs.blocks("volumes"):
        named = volume.get("volumeName")
        mounts.append(
            Mount(
                target=volume.require("containerPath"),
                source=named or volume.get("hostPath"),
                type="volume" if named else "bind",
                read_only=volume.get("readOnly", False),
            )
        )
        volume.done()
    return mounts


def _ulimits(inputs: Inputs) -> list[Ulimit] | None:
    """`ulimits[{name, soft, hard}]`: the provider passes each as HostConfig.Ulimits, all required."""
    limits = []
    for block in inputs.blocks("ulimits"):
        limits.append(
            Ulimit(name=block.require("name"), soft=block.require("soft"), hard=block.require("hard"))
        )
        block.done()
    return limits or None


def _upload_archive(inputs: Inputs) -> bytes | None:
    """Every `uploads` entry as one tar, extracted at / before the container starts."""
    uploads = inputs.blocks("uploads")
    if not uploads:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for upload in uploads:
            if upload.get("content") is not None:
                data = str(upload.get("content")).encode()
            elif upload.get("contentBase64") is not None:
                data = base64.b64decode(upload.get("contentBase64"))
            else:
                data = Path(upload.require("source")).read_bytes()
            info = tarfile.TarInfo(str(upload.require("file")).lstrip("/"))
            info.size, info.mtime = len(data), int(time.time())
            permissions = upload.get("permissions")
            info.mode = int(permissions, 8) if permissions else (0o755 if upload.get("executable") else 0o644)
            info.uid, info.gid = int(upload.get("owner", 0)), int(upload.get("group", 0))
            upload.ignore("sourceHash")
            upload.done()
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _networks(inputs: Inputs, kwargs: dict[str, Any], endpoint_config: Any) -> list[ExtraNetwork]:
    """The first network is joined at create time (with its aliases), the others before start."""
    networks = []
    for block in inputs.blocks("networksAdvanced"):
        networks.append(ExtraNetwork(block.require("name"), block.get("aliases"), block.get("ipv4Address")))
        block.done()
    if not networks:
        kwargs["network"] = inputs.get("networkMode")
        return []
    first = networks[0]
    kwargs["network"] = first.name
    kwargs["networking_config"] = {
        first.name: endpoint_config(aliases=first.aliases, ipv4_address=first.ipv4_address)
    }
    return networks[1:]


def container_spec(name: str, inputs: Inputs, endpoint_config: Any) -> ContainerSpec:
    """`endpoint_config` is the engine client's `api.create_endpoint_config`."""
    restart = inputs.get("restart", "no")
    capabilities = inputs.block("capabilities") or Inputs({}, "capabilities")
    kwargs: dict[str, Any] = {sdk: inputs.get(field) for field, sdk in RENAMED_AS_IS.items()}
    kwargs |= {
        "image": inputs.require("image"),
        "name": inputs.get("name") or auto_name(name),
        "labels": inputs.labels(),
        "ports": _ports(inputs),
        "mounts": _mounts(inputs),
        "healthcheck": _healthcheck(inputs.block("healthcheck")),
        "cap_add": capabilities.get("adds"),
        "cap_drop": capabilities.get("drops"),
        "ulimits": _ulimits(inputs),
    }
    capabilities.done()
    if restart != "no":
        kwargs["restart_policy"] = {"Name": restart, "MaximumRetryCount": inputs.get("maxRetryCount", 0)}
    if inputs.get("memory"):
        kwargs["mem_limit"] = f"{inputs.get('memory')}m"  # the provider takes megabytes
    if inputs.get("memorySwap"):
        kwargs["memswap_limit"] = f"{inputs.get('memorySwap')}m"
    if inputs.get("cpus"):
        kwargs["nano_cpus"] = int(float(inputs.get("cpus")) * 1e9)
    if inputs.get("shmSize"):
        kwargs["shm_size"] = f"{inputs.get('shmSize')}m"
    extra_networks = _networks(inputs, kwargs, endpoint_config)
    archive = _upload_archive(inputs)
    if archive is not None and kwargs.get("read_only"):
        # The Docker API refuses copies into a read-only rootfs, under the real provider too.
        raise ValueError(
            f"container {name}: uploads need a writable rootfs; drop readOnly or mount the files"
        )
    if not inputs.get("start", True):
        raise ValueError(f"container {name}: start=false is not implemented offline")
    spec = ContainerSpec(
        {k: v for k, v in kwargs.items() if v is not None},
        extra_networks,
        archive,
        wait=bool(inputs.get("wait", False)),
        wait_timeout=float(inputs.get("waitTimeout", 60)),
    )
    inputs.ignore(*CREATE_IRRELEVANT)
    inputs.done()
    return spec
