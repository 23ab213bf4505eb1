"""Runs the unchanged Pulumi program under `pulumi.runtime.set_mocks` and records what it declares.

`declare_stack(stack, overrides)` gives a `Declared`: every resource (type, name, inputs as the
engine would receive them, secrets still wrapped) and every stack output with its secret flag.
Build contexts are stubbed in a temp tree so these tests do not depend on the
Dockerfiles' contents (tests/unit/test_images.py covers the real tree).
"""

from __future__ import annotations

import hashlib
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest
import yaml
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import get_root_resource, reset_options
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.components import _images as images
from infra.settings import Settings, parse_settings
from infra.topology import ROLES

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = "docker:index/container:Container"


@dataclass
class Resource:
    typ: str
    name: str
    inputs: dict[str, Any]


@dataclass
class Declared:
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    generated_secrets: list[str] = field(default_factory=list)
    # Resource options as the program gave them, by resource name (the mock monitor gets none).
    options: dict[str, pulumi.ResourceOptions] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # id(resource object) -> its name

    def depends_on(self, name: str) -> list[str]:
        """The names of the resources `name` was declared to depend on (`depends_on`)."""
        given = self.options[name].depends_on
        listed = given if isinstance(given, list) else [given] if given is not None else []
        return [self.names[id(resource)] for resource in listed if isinstance(resource, pulumi.Resource)]

    def of_type(self, typ: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.typ == typ]

    @property
    def containers(self) -> dict[str, dict[str, Any]]:
        return {resource.inputs["name"]: resource.inputs for resource in self.of_type(CONTAINER)}

    def role(self, name: str) -> str:
        labels = {item["label"]: item["value"] for item in self.containers[name]["labels"]}
        return labels["proving-ground.role"]


class RecordingMocks(pulumi.runtime.Mocks):
    """Returns plausible provider outputs; generated secrets are unique, greppable markers."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.declared.resources.append(Resource(args.typ, args.name, args.inputs))
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            secret = f"GENERATED-SECRET-{args.name}-{len(self.declared.generated_secrets)}"
            self.declared.generated_secrets.append(secret)
            outputs["result"] = secret
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            outputs["imageId"] = "sha256:" + hashlib.sha256(str(args.inputs["name"]).encode()).hexdigest()
        elif args.typ == "tls:index/privateKey:PrivateKey":
            outputs["privateKeyPem"] = "GENERATED-SECRET-private-key"
            self.declared.generated_secrets.append(outputs["privateKeyPem"])
        elif args.typ == "tls:index/selfSignedCert:SelfSignedCert":
            outputs["certPem"] = "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n"
        return (f"{args.name}-id" if args.custom else None), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the program calls no functions; got {args.token}")


def stack_config(stack: str) -> dict[str, str]:
    data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {key: str(value) for key, value in (data.get("config") or {}).items()}


def run_program(stack: str, config: dict[str, str], services: Path) -> Declared:
    declared = Declared()
    reset_options(project="proving-ground", stack=stack)  # a fresh root Stack: no exports of an earlier run
    set_all_config(config)
    pulumi.runtime.set_mocks(RecordingMocks(declared), project="proving-ground", stack=stack, preview=False)

    def record_options(args: pulumi.ResourceTransformationArgs) -> None:
        declared.options[args.name] = args.opts
        declared.names[id(args.resource)] = args.name

    def body() -> None:
        pulumi.runtime.register_stack_transformation(record_options)
        runpy.run_path(str(ROOT / "infra" / "__main__.py"), run_name="__main__")  # as Pulumi runs it
        for key, value in get_root_resource().outputs.items():  # type: ignore[union-attr]
            output = pulumi.Output.from_input(value)
            declared.outputs[key] = _sync_await(output.future())
            if _sync_await(output.is_secret()):
                declared.secret_outputs.add(key)

    with mock.patch.object(images, "REPO_ROOT", services):
        _sync_await(run_pulumi_func(body))
    return declared


@pytest.fixture(scope="session")
def fake_services(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in repo root holding a stub Dockerfile in every role's build folder."""
    root = tmp_path_factory.mktemp("repo")
    for role in ROLES.values():
        if role.build_dir is not None:
            (root / role.build_dir).mkdir(parents=True)
            (root / role.build_dir / "Dockerfile").write_text(
                f"ARG BASE_IMAGE\nFROM ${{BASE_IMAGE}}\nLABEL role={role.name}\n"
            )
    return root


@pytest.fixture(scope="session")
def declare_stack(fake_services: Path) -> Callable[..., Declared]:
    """`declare_stack("ci", replicas="3")`: the stack file's config plus overrides (cached)."""
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], Declared] = {}

    def declare(stack: str, config_from: str | None = None, **overrides: str) -> Declared:
        key = (stack, tuple(sorted({"from": config_from or stack, **overrides}.items())))
        if key not in cache:
            config = stack_config(config_from or stack)
            config.update({f"proving-ground:{name}": value for name, value in overrides.items()})
            cache[key] = run_program(stack, config, fake_services)
        return cache[key]

    return declare


@pytest.fixture(scope="session")
def stack_settings() -> Callable[[str], Settings]:
    """The validated settings of a stack file (`Pulumi.<stack>.yaml`)."""
    return lambda stack: parse_settings(stack, stack_config(stack))


@pytest.fixture
def run_stack(fake_services: Path) -> Callable[[str, dict[str, str]], Declared]:
    """Runs the program for `stack` with exactly this config (namespaced keys), uncached."""
    return lambda stack, config: run_program(stack, config, fake_services)
