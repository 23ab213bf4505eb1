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

from infra.components._container import Placement, data_volume, healthcheck, role_container
from infra.topology import LB, LOADGEN, container_name

REPORTS_DIR = LOADGEN.data_dir or "/reports"
MASTER_PORT = LOADGEN.port  # Locust's default port for workers to reach the master
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


@dataclass(frozen=True, kw_only=True)
class LoadGeneratorArgs:
    placement: Placement
    frontend_network: pulumi.Input[str]
    target_host: str  # nginx's name on the frontend network (its port LB.port), like real users
    api_key: pulumi.Output[str]
    workers: int
    profile: str
    # What must be up before the run starts. Only the master waits for it, not the component: its
    # children would wait too, and the image build is better started at once, beside the others.
    start_after: Sequence[pulumi.Resource] = ()


def master_command(args: LoadGeneratorArgs) -> list[str]:
    """Locust arguments of the master (the image's entry point is `locust -f load/suite/locustfile.py`)."""
    options = {
        "--expect-workers": str(args.workers),
        "--expect-workers-max-wait": str(WORKERS_MAX_WAIT_S),
        "--host": f"http://{args.target_host}:{LB.port}",
        "--csv": f"{REPORTS_DIR}/locust",
        "--html": f"{REPORTS_DIR}/locust.html",
        "--stop-timeout": "5",
    }
    return ["--master", "--headless", "--only-summary", *chain.from_iterable(options.items())]


class LoadGenerator(pulumi.ComponentResource):
    master: docker.Container
    workers: list[docker.Container]
    master_name: str
    worker_names: list[str]
    volume_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: LoadGeneratorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("proving-ground:index:LoadGenerator", name, None, opts)
        stack = args.placement.stack
        image = args.placement.images.image(LOADGEN, self)
        volume = data_volume(stack, LOADGEN, self)
        self.volume_name = volume.name
        profile = f"PG_LOAD_PROFILE={args.profile}"
        self.master_name = container_name(stack, LOADGEN)
        self.worker_names = [container_name(stack, LOADGEN, index) for index in range(args.workers)]
        # No `wait` (one-shot): a finished run exits, by design. `mustRun` keeps the provider's
        # default (true): a refresh finds the finished containers stopped and replaces them, so
        # every `scripts/up` (which refreshes) plays the profile once more, as the offline engine does.
        self.master = role_container(
            args.placement,
            LOADGEN,
            self,
            image=image.image_id,
            command=master_command(args),
            # The master only records: it seeds nothing and sends no requests, so it needs no key.
            envs=[profile, f"PG_LOAD_RECORD={REPORTS_DIR}/record.json"],
            volume=volume,
            networks=[args.frontend_network],
            healthcheck=healthcheck(MASTER_HEALTHCHECK),
            one_shot=True,
            depends_on=args.start_after,
        )
        # Workers seed products and send the requests: they hold the write key, inside a secret.
        key_env: pulumi.Output[str] = args.api_key.apply(lambda key: f"PG_API_KEY={key}")
        self.workers = [
            role_container(
                args.placement,
                LOADGEN,
                self,
                index=index,
                image=image.image_id,
                command=["--worker", "--master-host", self.master_name],
                envs=[profile, pulumi.Output.secret(key_env)],
                networks=[args.frontend_network],
                healthcheck=healthcheck(WORKER_HEALTHCHECK),
                one_shot=True,
                # The master's name must resolve when a worker starts: it is created first.
                depends_on=[self.master],
            )
            for index in range(args.workers)
        ]
        self.register_outputs(
            {"master": self.master_name, "workers": self.worker_names, "volume": self.volume_name}
        )
