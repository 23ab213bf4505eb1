"""LoadGenerator: an optional Locust master and N workers, built from load/, run once per `up`.

They sit on the frontend network only and reach the API through nginx, like real users. They are
one-shot jobs: they play one profile of load/suite/profiles.py and exit, so they restart "no" and nothing
waits for them to be healthy. The master writes its run record, Locust's HTML and CSV to a named
volume; the host gates it with `scripts/load --profile P --gate-only DIR` (docs/load.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import pulumi
import pulumi_docker as docker

from infra.components._container import container_labels, data_volume, healthcheck, networks
from infra.components._images import image_for
from infra.naming import container_name, loadgen_worker_name, volume_name
from infra.settings import Settings

ROLE = "loadgen"
REPORTS_DIR = "/reports"
MASTER_PORT = 5557  # Locust's default port for workers to reach the master
ONE_SHOT = "no"
# How long the master waits for its workers before it gives up (Locust exits non-zero then).
WORKERS_MAX_WAIT_S = 60


def _socket_check(column: int, state: str) -> list[str]:
    """A healthcheck in the image's Python: is a TCP socket in `state` with port 5557 in `column`?

    /proc/net/tcp columns: 1 local address, 2 remote address, 3 state (0A listening, 01 connected).
    """
    port = f":{MASTER_PORT:04X}"
    script = (
        "import os, sys\n"
        "tables = [t for t in ('/proc/net/tcp', '/proc/net/tcp6') if os.path.exists(t)]\n"
        "rows = [line.split() for t in tables for line in open(t).readlines()[1:]]\n"
        f"sys.exit(not any(r[{column}].endswith('{port}') and r[3] == '{state}' for r in rows))"
    )
    return ["CMD", "python", "-c", script]


# The master is healthy while it accepts workers; a worker while it is connected to its master.
MASTER_HEALTHCHECK = _socket_check(column=1, state="0A")
WORKER_HEALTHCHECK = _socket_check(column=2, state="01")


def master_command(settings: Settings) -> list[str]:
    """Locust arguments of the master (the image's entry point is `locust -f load/suite/locustfile.py`)."""
    options = {
        "--expect-workers": str(settings.loadgen_workers),
        "--expect-workers-max-wait": str(WORKERS_MAX_WAIT_S),
        "--host": f"http://{container_name(settings.stack, 'lb')}",  # nginx's port 80, inside frontend
        "--csv": f"{REPORTS_DIR}/locust",
        "--html": f"{REPORTS_DIR}/locust.html",
        "--stop-timeout": "5",
    }
    return ["--master", "--headless", "--only-summary", *chain.from_iterable(options.items())]


@dataclass(frozen=True, kw_only=True)
class LoadGeneratorArgs:
    settings: Settings
    frontend_network: pulumi.Input[str]
    api_key: pulumi.Output[str]
    # What must be up before the run starts. Only the master waits for it, not the component: its
    # children would wait too, and the image build is better started at once, beside the others.
    start_after: Sequence[pulumi.Resource] = ()


class LoadGenerator(pulumi.ComponentResource):
    master: docker.Container
    workers: list[docker.Container]
    master_name: str
    worker_names: list[str]
    volume_name: str

    def __init__(
        self, name: str, args: LoadGeneratorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("proving-ground:index:LoadGenerator", name, None, opts)
        settings, stack = args.settings, args.settings.stack
        image = image_for(settings, ROLE, self)
        self.volume_name = volume_name(stack, ROLE)
        volume = data_volume(stack, ROLE, self)
        profile = f"PG_LOAD_PROFILE={settings.loadgen_profile}"
        self.master_name = master_name = container_name(stack, ROLE)
        self.worker_names = [loadgen_worker_name(stack, index) for index in range(settings.loadgen_workers)]
        self.master = _container(
            master_name,
            args,
            image=image.image_id,
            command=master_command(settings),
            # The master only records: it seeds nothing and sends no requests, so it needs no key.
            envs=[profile, f"PG_LOAD_RECORD={REPORTS_DIR}/record.json"],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=REPORTS_DIR)],
            check=MASTER_HEALTHCHECK,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.start_after)),
        )
        # Workers seed products and send the requests: they hold the write key, inside a secret.
        key_env: pulumi.Output[str] = args.api_key.apply(lambda key: f"PG_API_KEY={key}")
        worker_env: list[pulumi.Input[str]] = [profile, pulumi.Output.secret(key_env)]
        self.workers = [
            _container(
                worker_name,
                args,
                image=image.image_id,
                command=["--worker", "--master-host", master_name],
                envs=worker_env,
                check=WORKER_HEALTHCHECK,
                # The master's name must resolve when a worker starts: it is created first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.master]),
            )
            for worker_name in self.worker_names
        ]
        self.register_outputs(
            {"master": self.master_name, "workers": self.worker_names, "volume": self.volume_name}
        )


def _container(
    name: str,
    args: LoadGeneratorArgs,
    *,
    image: pulumi.Input[str],
    command: list[str],
    envs: list[pulumi.Input[str]],
    check: list[str],
    opts: pulumi.ResourceOptions,
    volumes: list[docker.ContainerVolumeArgs] | None = None,
) -> docker.Container:
    return docker.Container(
        name,
        name=name,
        hostname=name,
        image=image,
        command=command,
        envs=envs,
        volumes=volumes,
        networks_advanced=networks(args.frontend_network, alias=ROLE),
        healthcheck=healthcheck(check),
        labels=container_labels(args.settings.stack, ROLE),
        memory=args.settings.loadgen_memory,
        # No `wait` either: a finished run exits, by design. `mustRun` keeps the provider's default
        # (true): a refresh finds the finished containers stopped and replaces them, so every
        # `scripts/up` (which refreshes) plays the profile once more, as the offline engine does.
        restart=ONE_SHOT,
        opts=opts,
    )
