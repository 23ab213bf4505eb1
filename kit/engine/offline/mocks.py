"""The `pulumi.runtime.Mocks` that creates each declared resource for real on the local engine.

Pulumi's mock monitor calls `new_resource` from its thread pool, concurrently, in dependency
order; each call returns the real id and state so dependent outputs resolve. After the first
failure no new resource is created, and `wait_idle` lets the caller wait for in-flight creations
before it tears the stack down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import pulumi
from rich.console import Console

from kit.engine.offline import docker_objects, generated, images
from kit.engine.offline.container import create_container
from kit.engine.offline.values import Inputs, UnsupportedInputError

Handler = Callable[[str, Inputs], tuple[str, dict[str, Any]]]


class OfflineMocks(pulumi.runtime.Mocks):
    def __init__(self, client: docker.DockerClient, console: Console) -> None:
        self.client = client
        self.console = console
        self.images = images.ImageTally()
        self.containers: list[str] = []
        self.failure: BaseException | None = None
        self._in_flight = 0
        self._idle = threading.Condition()
        self._handlers: dict[str, Handler] = {
            "docker:index/network:Network": lambda n, i: docker_objects.create_network(client, n, i),
            "docker:index/volume:Volume": lambda n, i: docker_objects.create_volume(client, n, i),
            "docker:index/image:Image": lambda n, i: images.create_image(client, self.images, n, i),
            "docker:index/remoteImage:RemoteImage": lambda n, i: images.create_remote_image(
                client, self.images, n, i
            ),
            "docker:index/container:Container": self._container,
            "random:index/randomPassword:RandomPassword": lambda _n, i: generated.random_password(i),
            "tls:index/privateKey:PrivateKey": lambda _n, i: generated.private_key(i),
            "tls:index/selfSignedCert:SelfSignedCert": lambda _n, i: generated.self_signed_cert(i),
        }

    def _container(self, name: str, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        container_id, state = create_container(self.client, name, inputs)
        with self._idle:
            self.containers.append(container_id)
        return container_id, state

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:  # a ComponentResource: nothing to create
            return None, args.inputs
        if args.typ.startswith("pulumi:providers:"):
            return self._provider(args)
        handler = self._handlers.get(args.typ)
        if handler is None:
            raise self._fail(
                UnsupportedInputError(
                    f"resource type {args.typ} ({args.name}) is not implemented by the offline provisioner; "
                    f"implemented: {', '.join(sorted(self._handlers))}"
                )
            )
        with self._idle:
            if self.failure is not None:
                raise RuntimeError(f"{args.name}: not created, an earlier resource failed")
            self._in_flight += 1
        started = time.monotonic()
        try:
            resource_id, outputs = handler(args.name, Inputs(args.inputs, f"{args.typ} '{args.name}'"))
        except BaseException as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.console.print(f"[red]✗[/] {_short(args.typ)} {args.name}: {first_line}")
            raise self._fail(exc) from None
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        self.console.print(
            f"[green]✓[/] {_short(args.typ):<14} {args.name:<28} {time.monotonic() - started:5.1f} s"
        )
        return resource_id, {**args.inputs, **outputs}

    def _provider(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = Inputs(args.inputs, f"provider {args.name}")
        inputs.ignore("version", "pluginDownloadURL")
        inputs.done()  # a `host` or registry setting would point elsewhere than this engine
        return f"offline-{args.name}", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise self._fail(
            UnsupportedInputError(f"function {args.token} is not implemented by the offline provisioner")
        )

    def _fail(self, exc: BaseException) -> BaseException:
        with self._idle:
            self.failure = self.failure or exc
        return exc

    def wait_idle(self, timeout: float = 300.0) -> None:
        """Blocks until no creation is in flight, so teardown sees every object."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)


def _short(type_token: str) -> str:
    """`docker:index/container:Container` -> `Container`."""
    return type_token.rsplit(":", 1)[-1]
