"""Building the Debian tool images and running them on a throw-away, labelled Docker network.

Every probe goes through `docker exec` (each image ships wget), so nothing is published on the
host. `ImageLab.close()` removes every container and the network it labelled, whatever failed.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import docker
from docker.errors import BuildError, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.models.volumes import Volume
from prometheus_client.parser import text_string_to_metric_families
from tenacity import retry, retry_if_exception, stop_after_delay, wait_fixed

SERVICES = Path(__file__).resolve().parents[2] / "services"
BASE_IMAGE = os.environ.get("PG_BASE_IMAGE", "proving-ground/debian-base:bookworm")
TAG_PREFIX = "proving-ground-test/"
T = TypeVar("T")


def build_image(client: docker.DockerClient, name: str) -> str:
    """Builds services/<name> on the local Debian base (Docker's cache makes a rebuild instant)."""
    try:
        client.images.get(BASE_IMAGE)
    except ImageNotFound:
        raise AssertionError(
            f"the base image {BASE_IMAGE} is missing: run `./scripts/test --tier e2e`, which builds it "
            "once (ensure_base_image in scripts/lib/common.sh), or set PG_BASE_IMAGE"
        ) from None
    tag = f"{TAG_PREFIX}{name}"
    try:
        client.images.build(
            path=str(SERVICES / name), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True, forcerm=True
        )
    except BuildError as exc:
        log = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in exc.build_log)
        raise AssertionError(f"building services/{name} failed: {exc.msg}\n{log[-3000:]}") from exc
    return tag


def tar_of(files: Mapping[str, str]) -> bytes:
    """A tar archive of {absolute path: text}, world-readable so non-root servers can read it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def logs_tail(container: Container, lines: int = 30) -> str:
    try:
        return bytes(container.logs(tail=lines)).decode(errors="replace")
    except NotFound:
        return "(container is gone)"


def process_uids(container: Container) -> dict[str, int]:
    """{command line: uid} for every process in the container."""
    # Docker needs the pid column to match processes to the container.
    top = container.top(ps_args="-o pid,uid,args")
    return {args: int(uid) for _pid, uid, args in top["Processes"]}


class ContainerExitedError(AssertionError):
    """The container stopped while a test waited for it: waiting longer cannot help."""


def exec_ok(container: Container, *argv: str, env: Mapping[str, str] | None = None) -> str:
    """Runs argv in the container and returns its output; a non-zero exit fails with the output."""
    code, output = container.exec_run(list(argv), environment=dict(env or {}))
    text = bytes(output).decode(errors="replace")
    if code != 0:
        raise AssertionError(f"`{' '.join(argv)}` in {container.name} exited {code}: {text.strip()}")
    return text


def http_get(container: Container, url: str) -> str:
    """GET through the container's own wget, the same tool its healthcheck uses."""
    return exec_ok(container, "wget", "-q", "-O", "-", url)


def metric(exposition: str, name: str) -> float:
    """The value of an unlabelled sample `name` in a Prometheus text exposition."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    raise AssertionError(f"no sample {name} among the exported metrics")


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, AssertionError) and not isinstance(exc, ContainerExitedError)


def wait_until(container: Container, probe: Callable[[], T], what: str, timeout: float = 30) -> T:
    """Retries probe (which asserts) until it passes; fails with the container's last log lines."""

    def attempt() -> T:
        container.reload()
        if container.status not in {"created", "running"}:
            raise ContainerExitedError(f"{container.name} is {container.status}")
        return probe()

    retrying = retry(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_delay(timeout),
        wait=wait_fixed(0.25),
        reraise=True,
    )
    try:
        return retrying(attempt)()
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}\n--- {container.name} logs ---\n{logs_tail(container)}") from exc


class ImageLab:
    """A labelled network `pgimg-<random>` and the containers started on it."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.suffix = secrets.token_hex(4)
        self.labels = {"proving-ground.stack": f"imgtest-{self.suffix}"}
        self.network = client.networks.create(f"pgimg-{self.suffix}", labels=self.labels)

    def name(self, role: str) -> str:
        return f"pgimg-{self.suffix}-{role}"

    def start(
        self, role: str, image: str, *, files: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Container:
        """Creates the container, uploads files before it starts (as the stack does), starts it."""
        container = self.client.containers.create(
            image,
            name=self.name(role),
            labels={**self.labels, "proving-ground.role": role},
            network=self.network.name,
            **kwargs,
        )
        if files:
            container.put_archive("/", tar_of(files))
        container.start()
        return container

    def volume(self, role: str) -> Volume:
        return self.client.volumes.create(
            self.name(role), labels={**self.labels, "proving-ground.role": role}
        )

    def run_once(self, role: str, image: str, **kwargs: Any) -> tuple[int, str]:
        """Runs a container to completion: (exit code, output)."""
        container = self.start(f"{role}-{secrets.token_hex(2)}", image, **kwargs)
        try:
            status = container.wait(timeout=60)
            return int(status["StatusCode"]), bytes(container.logs()).decode(errors="replace")
        finally:
            container.remove(force=True, v=True)

    def close(self) -> None:
        mine = {"label": f"proving-ground.stack={self.labels['proving-ground.stack']}"}
        for container in self.client.containers.list(all=True, filters=mine):
            with contextlib.suppress(NotFound):  # run_once removes its own
                container.remove(force=True, v=True)
        for volume in self.client.volumes.list(filters=mine):
            volume.remove(force=True)
        self.network.remove()
