"""Images per role: pinned upstream refs (`imageSource: registry`) or local builds (`build`).

A built image's tag is a hash of its build context (files, honouring .dockerignore), Dockerfile
and build args: a change gives a new tag and a rebuild, an unchanged tree the same tag and none.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Mapping
from pathlib import Path

import pulumi
import pulumi_docker as docker

from infra.naming import labels
from infra.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = REPO_ROOT / "services"

# Upstream images, pinned by tag; pin a digest too with `images.<role>: name:tag@sha256:…`.
REGISTRY_IMAGES = {
    "lb": "nginx:1.27.3-alpine",
    "postgres": "postgres:16.6-bookworm",
    "redis": "redis:7.4.1-bookworm",
    "prometheus": "prom/prometheus:v2.55.1",
    "alertmanager": "prom/alertmanager:v0.27.0",
    "grafana": "grafana/grafana-oss:11.3.1",
    "nginx-exporter": "nginx/nginx-prometheus-exporter:1.3.0",
    "postgres-exporter": "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    "redis-exporter": "oliver006/redis_exporter:v1.66.0-alpine",
}
# Build context directory under services/ per role (Grafana has none: it is never built).
BUILD_CONTEXTS = {role: ("nginx" if role == "lb" else role) for role in REGISTRY_IMAGES if role != "grafana"}
BUILD_CONTEXTS["api"] = "api"
# The load suite's own image (docs/load.md): its build context is load/, not a services/ directory.
LOADGEN_CONTEXT = REPO_ROOT / "load"
# Roles with no upstream image: always built, on baseImage with `build`, else on their Dockerfile's base.
ALWAYS_BUILT = ("api", "loadgen")
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


def build_args(settings: Settings, role: str) -> dict[str, str]:
    if role in ALWAYS_BUILT:
        own_base = settings.api_base_image if role == "api" else None
        base = own_base or (settings.base_image if settings.image_source == "build" else None)
    else:
        base = settings.base_image
    return {"BASE_IMAGE": base} if base else {}


def build_context(role: str) -> Path:
    return LOADGEN_CONTEXT if role == "loadgen" else SERVICES / BUILD_CONTEXTS[role]


def image_for(settings: Settings, role: str, parent: pulumi.Resource) -> docker.RemoteImage:
    """The image `role` runs: built when it must be (API and loadgen, or everything with `build`)."""
    resource_name = f"{settings.stack}-{role}-image"
    override = settings.images.get(role)  # type: ignore[call-overload]
    if role not in ALWAYS_BUILT and (override or settings.image_source == "registry"):
        ref = override or REGISTRY_IMAGES[role]
        return docker.RemoteImage(
            resource_name, name=ref, keep_locally=True, opts=pulumi.ResourceOptions(parent=parent)
        )
    context = build_context(role)
    args = build_args(settings, role)
    tag = context_hash(context, args)
    return docker.RemoteImage(
        resource_name,
        name=f"proving-ground/{settings.stack}-{role}:{tag}",
        build=docker.RemoteImageBuildArgs(
            context=str(context),
            dockerfile="Dockerfile",
            build_args=args,
            labels=labels(settings.stack, role),
        ),
        triggers={"contextHash": tag},
        keep_locally=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )
