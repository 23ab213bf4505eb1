"""`docker.Container`: create, upload files, connect networks, start, and wait until healthy.

Defaults are the Docker provider's, which never reach the inputs: ports bind 0.0.0.0/tcp,
restart "no", start and mustRun true, wait false with a 60 s timeout.
"""

from __future__ import annotations

import base64
import io
import tarfile
import time
from pathlib import Path
from typing import Any

import docker
from docker.models.containers import Container
from docker.types import Mount

from .docker_objects import auto_name
from .values import Inputs, go_duration_ns

WAIT_POLL_SECONDS = 0.25
LOG_TAIL_LINES = 30


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
    interval = block.get("startInterval")
    if interval:
        result["start_interval"] = go_duration_ns(interval, field="healthcheck.startInterval")
    block.done()
    return result


def _ports(inputs: Inputs) -> dict[str, list[tuple[Any, ...]]]:
    bindings: dict[str, list[tuple[Any, ...]]] = {}
    for port in inputs.blocks("ports"):
        key = f"{port.require('internal')}/{port.get('protocol', 'tcp')}"
        host_ip, external = port.get("ip", "0.0.0.0"), port.get("external")  # noqa: S104
        # Without `external` the engine picks a free host port, as the provider lets it.
        bindings.setdefault(key, []).append((host_ip, external) if external else (host_ip,))
        port.done()
    return bindings


def _mounts(inputs: Inputs) -> list[Mount]:
    mounts = []
    for mount in inputs.blocks("mounts"):
        tmpfs = mount.block("tmpfsOptions")
        mounts.append(
            Mount(
                target=mount.require("target"),
                source=mount.get("source"),
                type=mount.require("type"),
                read_only=mount.get("readOnly", False),
                tmpfs_size=tmpfs.get("sizeBytes") if tmpfs else None,
                tmpfs_mode=tmpfs.get("mode") if tmpfs else None,
            )
        )
        if tmpfs:
            tmpfs.done()
        mount.done()
    for volume in inputs.blocks("volumes"):
        source = volume.get("volumeName") or volume.get("hostPath")
        mounts.append(
            Mount(
                target=volume.require("containerPath"),
                source=source,
                type="volume" if volume.get("volumeName") else "bind",
                read_only=volume.get("readOnly", False),
            )
        )
        volume.done()
    return mounts


def _upload_archive(inputs: Inputs) -> bytes | None:
    """Every `uploads` entry as one tar, extracted at / before the container starts."""
    uploads = inputs.blocks("uploads")
    if not uploads:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for upload in uploads:
            path = str(upload.require("file"))
            if upload.get("content") is not None:
                data = str(upload.get("content")).encode()
            elif upload.get("contentBase64") is not None:
                data = base64.b64decode(upload.get("contentBase64"))
            else:
                data = Path(upload.require("source")).read_bytes()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            permissions = upload.get("permissions")
            info.mode = int(permissions, 8) if permissions else (0o755 if upload.get("executable") else 0o644)
            info.uid, info.gid = int(upload.get("owner", 0)), int(upload.get("group", 0))
            info.mtime = int(time.time())
            upload.ignore("sourceHash")
            upload.done()
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _last_logs(container: Container) -> str:
    return bytes(container.logs(tail=LOG_TAIL_LINES)).decode(errors="replace").rstrip()


def wait_healthy(container: Container, timeout: float) -> None:
    """Polls until the container is healthy (or running, without a healthcheck); else raises with logs."""
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        state = container.attrs["State"]
        health = (state.get("Health") or {}).get("Status")
        if state["Status"] in ("exited", "dead"):
            problem = f"exited with code {state.get('ExitCode')}"
        elif health == "unhealthy":
            problem = "is unhealthy"
        elif health in ("healthy", None) and state["Status"] == "running":
            return
        elif time.monotonic() > deadline:
            problem = f"is not healthy after {timeout:.0f} s (status {state['Status']}, health {health})"
        else:
            time.sleep(WAIT_POLL_SECONDS)
            continue
        raise RuntimeError(
            f"container {container.name} {problem}; its last log lines:\n{_last_logs(container)}"
        )


def create_container(client: docker.DockerClient, name: str, inputs: Inputs) -> tuple[str, dict[str, Any]]:
    container_name = inputs.get("name") or auto_name(name)
    networks = inputs.blocks("networksAdvanced")
    first = networks[0] if networks else None
    restart = inputs.get("restart", "no")
    kwargs: dict[str, Any] = {
        "image": inputs.require("image"),
        "name": container_name,
        "command": inputs.get("command"),
        "entrypoint": inputs.get("entrypoints"),
        "environment": inputs.get("envs"),
        "labels": inputs.labels(),
        "ports": _ports(inputs),
        "mounts": _mounts(inputs),
        "tmpfs": inputs.get("tmpfs"),
        "read_only": inputs.get("readOnly", False),
        "user": inputs.get("user"),
        "restart_policy": {"Name": restart, "MaximumRetryCount": inputs.get("maxRetryCount", 0)}
        if restart != "no"
        else None,
        "healthcheck": _healthcheck(inputs.block("healthcheck")),
        "hostname": inputs.get("hostname"),
        "working_dir": inputs.get("workingDir"),
        "cap_add": None,
        "cap_drop": None,
        "init": inputs.get("init"),
        "stop_signal": inputs.get("stopSignal"),
        "security_opt": inputs.get("securityOpts"),
        "sysctls": inputs.get("sysctls"),
        "network": first.require("name") if first else inputs.get("networkMode"),
    }
    capabilities = inputs.block("capabilities")
    if capabilities:
        kwargs["cap_add"], kwargs["cap_drop"] = capabilities.get("adds"), capabilities.get("drops")
        capabilities.done()
    if inputs.get("memory"):
        kwargs["mem_limit"] = f"{inputs.get('memory')}m"  # the provider takes megabytes
    if inputs.get("cpus"):
        kwargs["nano_cpus"] = int(float(inputs.get("cpus")) * 1e9)
    if inputs.get("shmSize"):
        kwargs["shm_size"] = f"{inputs.get('shmSize')}m"
    if first is not None:
        kwargs["networking_config"] = {
            first.require("name"): client.api.create_endpoint_config(
                aliases=first.get("aliases"), ipv4_address=first.get("ipv4Address")
            )
        }
        first.done()
    archive = _upload_archive(inputs)
    wait, wait_timeout = inputs.get("wait", False), float(inputs.get("waitTimeout", 60))
    if not inputs.get("start", True):
        raise ValueError(f"container {name}: start=false is not implemented offline")
    inputs.ignore(
        "mustRun",
        "destroyGraceSeconds",
        "removeVolumes",
        "stopTimeout",
        "logs",
        "attach",
        "containerReadRefreshTimeoutMilliseconds",
    )
    inputs.done()

    container = client.containers.create(**{k: v for k, v in kwargs.items() if v is not None})
    if archive is not None:
        if kwargs["read_only"]:
            container.remove(force=True)
            # The Docker API refuses copies into a read-only rootfs, under the real provider too.
            raise ValueError(
                f"container {name}: uploads need a writable rootfs; drop readOnly or mount the files"
            )
        container.put_archive("/", archive)
    for extra in networks[1:]:
        client.networks.get(extra.require("name")).connect(
            container, aliases=extra.get("aliases"), ipv4_address=extra.get("ipv4Address")
        )
        extra.done()
    container.start()
    if wait:
        wait_healthy(container, wait_timeout)
    container.reload()
    network_datas = [
        {
            "networkName": net,
            "ipAddress": data.get("IPAddress"),
            "gateway": data.get("Gateway"),
            "macAddress": data.get("MacAddress"),
            "ipPrefixLength": data.get("IPPrefixLen"),
        }
        for net, data in container.attrs["NetworkSettings"]["Networks"].items()
    ]
    return str(container.id), {
        "name": container_name,
        "networkDatas": network_datas,
        "exitCode": None,
        "bridge": "",
        "containerLogs": None,
    }
