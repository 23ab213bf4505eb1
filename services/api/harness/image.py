"""`python -m harness.image`: builds the API image on the local Debian base and proves it runs as
deployed: read-only root filesystem, tmpfs /tmp, two workers, non-root, healthy by its own
HEALTHCHECK, ready against real Postgres and Redis, and a graceful stop. Last line: JSON figures."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import httpx

from kit.local.api import SERVICE_DIR
from kit.local.servers import LocalPostgres, LocalRedis, free_port


def docker(*args: str, check: bool = True) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:2])} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip()


def wait_until(predicate: object, seconds: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if callable(predicate) and predicate():
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"{what} not reached within {seconds:.0f} s")


def check_image(tag: str, base_image: str) -> dict[str, object]:
    started = time.monotonic()
    docker("build", "-q", "--build-arg", f"BASE_IMAGE={base_image}", "-t", tag, str(SERVICE_DIR))
    figures: dict[str, object] = {"image": tag, "build_seconds": round(time.monotonic() - started, 1)}
    figures["size_mb"] = round(int(docker("image", "inspect", "-f", "{{.Size}}", tag)) / 1e6)
    with LocalPostgres() as pg, LocalRedis() as rd:
        port = free_port()
        name = f"api-image-check-{port}"
        tmpfs = "/tmp"  # noqa: S108 - the container's own tmpfs mount, as deployed
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "host",
            "--read-only",
            "--tmpfs",
            tmpfs,
            "-e",
            f"DATABASE_URL={pg.url()}",
            "-e",
            f"REDIS_URL={rd.url()}",
            "-e",
            f"PORT={port}",
            "-e",
            "HOST=127.0.0.1",
            "-e",
            "WEB_CONCURRENCY=2",
            "-e",
            f"REPLICA_ID={name}",
            tag,
        )
        try:

            def ready() -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            figures["ready_seconds"] = round(wait_until(ready, 60, "/health/ready 200"), 1)
            response = httpx.get(f"http://127.0.0.1:{port}/api/v1/products")
            assert response.headers["x-replica-id"] == name, response.headers
            user = docker("inspect", "-f", "{{.Config.User}}", name)
            assert not user.startswith(("0", "root")), f"runs as {user!r}"
            figures["healthy_seconds"] = round(
                wait_until(
                    lambda: docker("inspect", "-f", "{{.State.Health.Status}}", name) == "healthy",
                    60,
                    "HEALTHCHECK healthy",
                ),
                1,
            )
            stopped = time.monotonic()
            docker("stop", "-t", "20", name)
            figures["stop_seconds"] = round(time.monotonic() - stopped, 1)
            figures["exit_code"] = int(docker("inspect", "-f", "{{.State.ExitCode}}", name))
            assert figures["exit_code"] in (0, 143), figures
            assert "stopped: connections closed" in docker("logs", name)
        finally:
            docker("rm", "-f", name, check=False)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="test-api-image", description=__doc__)
    parser.add_argument("--tag", default="proving-ground/api:image-check")
    parser.add_argument("--base-image", default="proving-ground/debian-base:bookworm")
    options = parser.parse_args()
    try:
        print(json.dumps(check_image(options.tag, options.base_image)))
    except (AssertionError, RuntimeError, TimeoutError) as error:
        print(f"image check failed: {error}", file=sys.stderr)
        sys.exit(1)
