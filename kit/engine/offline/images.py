"""`docker.Image` and `docker.RemoteImage`: built with the engine's layer cache, never pushed or pulled
from a registry this machine cannot reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

import docker
from docker.errors import BuildError, ImageNotFound

from kit.engine.offline.values import Inputs


@dataclass
class ImageTally:
    """Which images this run built and which were already up to date (a repeated up builds none)."""

    built: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    _lock: Lock = field(default_factory=Lock)

    def record(self, tag: str, *, reused: bool) -> None:
        with self._lock:
            (self.reused if reused else self.built).append(tag)


def _image_id(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except ImageNotFound:
        return None


def build_image(
    client: docker.DockerClient,
    tally: ImageTally,
    *,
    tag: str,
    context: str,
    dockerfile: str | None,
    buildargs: dict[str, str],
    target: str | None,
    labels: dict[str, str],
    platform: str | None,
) -> str:
    """Builds `tag` with the engine's layer cache and returns the image id."""
    context_dir = Path(context)
    if not context_dir.is_dir():
        raise ValueError(f"image {tag}: build context '{context}' is not a directory")
    try:
        image, log = client.images.build(
            path=str(context_dir),
            dockerfile=dockerfile,
            tag=tag,
            buildargs=buildargs,
            target=target,
            labels=labels,
            platform=platform,
            rm=True,
            forcerm=True,
            pull=False,
        )
    except BuildError as exc:
        tail = "".join(str(line.get("stream", line.get("error", ""))) for line in list(exc.build_log)[-15:])
        raise RuntimeError(f"building image {tag} from {context} failed: {exc.msg}\n{tail}") from exc
    # The classic builder runs a container for every step it cannot take from the layer cache.
    ran_steps = any("Running in" in str(line.get("stream", "")) for line in log)
    tally.record(tag, reused=not ran_steps)
    return str(image.id)


def create_image(
    client: docker.DockerClient, tally: ImageTally, name: str, inputs: Inputs
) -> tuple[str, dict[str, Any]]:
    """`docker.Image`: build and keep locally (there is no registry to push to)."""
    tag = str(inputs.require("imageName"))
    build = inputs.block("build") or Inputs({}, f"{name}.build")
    if not inputs.get("skipPush", False):
        raise ValueError(f"image {name}: skipPush must be true offline (no registry to push {tag} to)")
    context = str(build.get("context", "."))
    dockerfile = build.get("dockerfile")
    image_id = build_image(
        client,
        tally,
        tag=tag,
        context=context,
        dockerfile=dockerfile,
        buildargs=build.get("args", {}),
        target=build.get("target"),
        labels={},
        platform=build.get("platform"),
    )
    build.ignore("builderVersion", "cacheFrom")
    inputs.ignore("buildOnPreview")  # previews never run offline
    build.done()
    inputs.done()
    return image_id, {
        "imageName": tag,
        "repoDigest": image_id,
        "baseImageName": tag,
        "context": context,
        "dockerfile": dockerfile or "Dockerfile",
    }


def create_remote_image(
    client: docker.DockerClient, tally: ImageTally, name: str, inputs: Inputs
) -> tuple[str, dict[str, Any]]:
    """`docker.RemoteImage`: build it when it has a build block, else it must already be local."""
    tag = str(inputs.require("name"))
    inputs.ignore("keepLocally", "forceRemove", "triggers", "pullTriggers")
    build = inputs.block("build")
    if build is not None:
        image_id = build_image(
            client,
            tally,
            tag=tag,
            context=str(build.require("context")),
            dockerfile=build.get("dockerfile"),
            buildargs=build.get("buildArgs", {}),
            target=build.get("target"),
            labels=build.get("labels", {}),
            platform=build.get("platform"),
        )
        build.ignore("tags", "remove", "forceRemove", "noCache", "builderVersion", "version")
        build.done()
    else:
        found = _image_id(client, tag)
        if found is None:
            try:
                found = str(client.images.pull(tag).id)
            except docker.errors.APIError as exc:
                raise RuntimeError(
                    f"image {tag} is not on this engine and cannot be pulled ({exc.explanation}); "
                    "offline, use the build image source (scripts/up does when no registry is reachable)"
                ) from exc
        image_id = found
        tally.record(tag, reused=True)
    inputs.done()
    return image_id, {"name": tag, "imageId": image_id, "repoDigest": image_id}
