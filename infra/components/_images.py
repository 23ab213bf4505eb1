"""Images per role (infra/topology.py): pinned upstream refs (`imageSource: registry`) or local
builds (`build`).

A built image's tag is a hash of its build context (files, honouring .dockerignore), Dockerfile
and build args: a change gives a new tag and a rebuild, an unchanged tree the same tag and none.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pulumi
import pulumi_docker as docker

from infra.settings import Settings
from infra.topology import API, Role
from kit.contract import labels

REPO_ROOT = Path(__file__).resolve().parents[2]
ALWAYS_IGNORED = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def _ignore_patterns(context: Path) -> list[str]:
    ignore_file = context / ".dockerignore"
    lines = ignore_file.read_text().splitlines() if ignore_file.is_file() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return [*patterns, *ALWAYS_IGNORED]  # last: local caches never change the hash


def _matches(relative: Path, pattern: str) -> bool:
    """A pattern matches the path or a parent directory (excluding a directory excludes its files)."""
    pattern = pattern.strip("/").removeprefix("./")
    parts = relative.parts
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    return any(fnmatch.fnmatchcase(prefix, pattern) or fnmatch.fnmatchcase(part, pattern)
               for prefix, part in zip(prefixes, parts, strict=True))  # fmt: skip


def _ignored(relative: Path, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!pattern` re-includes."""
    if relative.as_posix() == "Dockerfile":
        return False  # always sent, whatever .dockerignore says
    ignored = False
    for pattern in patterns:
        if _matches(relative, pattern.removeprefix("!")):
            ignored = not pattern.startswith("!")
    return ignored


def context_hash(context: Path, build_args: Mapping[str, str]) -> str:
    """sha256 over the context's files (path + content) and the build args; 12 hex characters."""
    if not (context / "Dockerfile").is_file():
        raise FileNotFoundError(f"no Dockerfile in build context {context}")
    digest = hashlib.sha256()
    patterns = _ignore_patterns(context)
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        relative = path.relative_to(context)
        if _ignored(relative, patterns):
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for key, value in sorted(build_args.items()):
        digest.update(f"{key}={value}\0".encode())
    return digest.hexdigest()[:12]


@dataclass(frozen=True, kw_only=True)
class ImageChoice:
    """Which image each role runs: the settings that decide it, and nothing else."""

    stack: str
    source: Literal["registry", "build"]
    base_image: str
    api_base_image: str | None = None
    api_build_context: str | None = None  # relative to the repository root; None: the role's own
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageChoice:
        return cls(
            stack=settings.stack,
            source=settings.image_source,
            base_image=settings.base_image,
            api_base_image=settings.api_base_image,
            api_build_context=settings.api_build_context,
            overrides=dict(settings.images),
        )

    def build_args(self, role: Role) -> dict[str, str]:
        """BASE_IMAGE: baseImage with `build`; always-built roles otherwise keep their Dockerfile's
        base (the API may name its own with apiBaseImage)."""
        if role.registry_image is None:
            own_base = self.api_base_image if role is API else None
            base = own_base or (self.base_image if self.source == "build" else None)
        else:
            base = self.base_image
        return {"BASE_IMAGE": base} if base else {}

    def reference(self, role: Role) -> str | None:
        """The registry image `role` runs, or None when it is built here."""
        if role.registry_image is None or (self.source == "build" and role.name not in self.overrides):
            return None
        return self.overrides.get(role.name, role.registry_image)

    def image(self, role: Role, parent: pulumi.Resource) -> docker.RemoteImage:
        """The image `role` runs: built when it must be (no upstream image, or all with `build`)."""
        resource_name = f"{self.stack}-{role.name}-image"
        reference = self.reference(role)
        if reference is not None:
            return docker.RemoteImage(
                resource_name,
                name=reference,
                keep_locally=True,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        context = build_context(role, self.api_build_context if role is API else None)
        args = self.build_args(role)
        tag = context_hash(context, args)
        return docker.RemoteImage(
            resource_name,
            name=f"proving-ground/{self.stack}-{role.name}:{tag}",
            build=docker.RemoteImageBuildArgs(
                context=str(context),
                dockerfile="Dockerfile",
                build_args=args,
                labels=labels(self.stack, role.name),
            ),
            triggers={"contextHash": tag},
            # Kept: a rollback builds the previous tree again under its old tag, which the engine
            # would otherwise untag when it deletes the replaced image resource, while replicas
            # run it (the daemon refuses; every later `up` would fail). scripts/down
            # --remove-images untags a stack's images.
            keep_locally=True,
            opts=pulumi.ResourceOptions(parent=parent),
        )


def build_context(role: Role, given: str | None = None) -> Path:
    """`given` (relative to the repository root, or absolute), else the role's own build folder."""
    if given is None and role.build_dir is None:
        raise ValueError(f"role {role.name} has no build folder: give images.{role.name} instead")
    return REPO_ROOT / (given or role.build_dir or "")
