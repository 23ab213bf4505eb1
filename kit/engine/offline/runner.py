"""Run the unchanged Pulumi program under the mock runtime, with `OfflineMocks` doing the work.

The program is executed and awaited the way `pulumi.runtime.test` does it (`run_pulumi_func`
pumps every outstanding RPC and output). Honest about what it is: no state, no diff, no update.
`provision` creates everything from scratch (after clearing the stack's leftovers), writes the
stack outputs and effective config to `.offline-state/<stack>/`, and on any failure waits for
in-flight creations and then removes everything labelled with the stack.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pulumi
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
from rich.console import Console

from kit.engine.offline.container import wait_healthy
from kit.engine.offline.mocks import OfflineMocks
from kit.engine.teardown import remove_images, remove_stack
from kit.outputs import OFFLINE_STATE, ROOT

HEALTHY_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True)
class UpResult:
    stack: str
    seconds_to_healthy: float
    images_built: list[str]
    images_reused: list[str]
    outputs: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "engine": "offline",
            "stack": self.stack,
            "secondsToHealthy": round(self.seconds_to_healthy, 1),
            "imagesBuilt": len(self.images_built),
            "imagesReused": len(self.images_reused),
            "built": self.images_built,
        }


def state_dir(stack: str) -> Path:
    return OFFLINE_STATE / stack


def _run_program(program_dir: Path) -> dict[str, Any]:
    """Executes `program_dir/__main__.py` as Pulumi's Python host would and returns its exports."""
    exports: dict[str, Any] = {}

    def body() -> None:
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")
        root = get_root_resource()
        declared = getattr(root, "outputs", {})
        values = _sync_await(pulumi.Output.from_input(declared).future()) or {}
        # As the engine does: an output whose value is null is not a stack output.
        exports.update({key: value for key, value in values.items() if value is not None})

    # Pulumi's Python host puts the program directory on sys.path; the project's own packages
    # (infra, kit) come from the virtualenv's editable install.
    if str(program_dir) not in sys.path:
        sys.path.insert(0, str(program_dir))
    _sync_await(run_pulumi_func(body))
    return exports


def _wait_all_healthy(client: docker.DockerClient, container_ids: list[str]) -> None:
    """Containers declared without `wait` still count: all-healthy means every one of them.

    Except that a one-shot job (restart policy "no") may finish before it is looked at.
    """
    for container_id in container_ids:
        container = client.containers.get(container_id)
        one_shot = container.attrs["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
        wait_healthy(container, HEALTHY_TIMEOUT_SECONDS, may_finish=one_shot)


def provision(
    stack: str, config: dict[str, str], *, program_dir: Path = ROOT / "infra", project: str, console: Console
) -> UpResult:
    client = docker.from_env()
    cleared = remove_stack(client, stack)
    if cleared:
        console.print(f"cleared leftovers of stack {stack}: {cleared.describe()}")
    target = state_dir(stack)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    started = time.monotonic()
    mocks = OfflineMocks(client, console)
    set_all_config(config)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
    previous_cwd = Path.cwd()
    os.chdir(program_dir.parent)  # Pulumi runs programs from the project directory
    try:
        outputs = _run_program(program_dir)
        _wait_all_healthy(client, mocks.containers)
    except BaseException:
        console.print(
            f"[red]provisioning {stack} failed[/]; waiting for in-flight creations, then removing it"
        )
        mocks.wait_idle()
        remove_stack(client, stack)
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        os.chdir(previous_cwd)
    seconds = time.monotonic() - started
    (target / "outputs.json").write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return UpResult(stack, seconds, mocks.images.built, mocks.images.reused, outputs)


def destroy(stack: str, console: Console, *, images: bool = False) -> float:
    started = time.monotonic()
    client = docker.from_env()
    removed = remove_stack(client, stack)
    shutil.rmtree(state_dir(stack), ignore_errors=True)
    untagged = remove_images(client, stack) if images else []
    seconds = time.monotonic() - started
    console.print(f"removed stack {stack}: {removed.describe()} ({seconds:.1f} s)")
    if untagged:
        console.print(f"untagged its images: {', '.join(untagged)}")
    return seconds
