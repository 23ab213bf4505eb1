"""What the suite knows about the stack under test: its outputs, and the containers they name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import docker
import pytest
import testinfra

from infra.settings import Settings, parse_settings
from kit.contract import SECRET_OUTPUTS
from kit.outputs import load_config, load_outputs

STACK_ENV = "PG_STACK"


DEFAULT_STACK = "dev"  # what ./scripts/up provisions without --stack


def chosen_stack(config: pytest.Config) -> str:
    """`--stack NAME`, else $PG_STACK, else the scripts' default stack."""
    option = config.getoption("stack", default=None)
    return str(option) if option else os.environ.get(STACK_ENV) or DEFAULT_STACK


@dataclass(frozen=True)
class StackUnderTest:
    name: str
    outputs: dict[str, Any]

    @classmethod
    def load(cls, name: str) -> StackUnderTest:
        return cls(name, load_outputs(name))

    @cached_property
    def containers(self) -> dict[str, str]:
        """container name -> role, API replicas included."""
        result: dict[str, str] = {}
        for role, names in self.outputs["containers"].items():
            for name in names if isinstance(names, list) else [names]:
                result[name] = role
        return result

    @cached_property
    def config(self) -> dict[str, str] | None:
        """The effective config (project prefix dropped), from whichever engine holds the stack."""
        return load_config(self.name)

    @cached_property
    def settings(self) -> Settings | None:
        """The program's validated settings for that config (defaults included), when known."""
        return None if self.config is None else parse_settings(self.name, self.config)

    def names(self, role: str) -> list[str]:
        return [name for name, r in self.containers.items() if r == role]

    def secret_values(self) -> dict[str, str]:
        return {key: str(self.outputs[key]) for key in SECRET_OUTPUTS if self.outputs.get(key)}

    def published_port(self, url_key: str) -> int:
        port = urlsplit(str(self.outputs[url_key])).port
        assert port is not None, f"{url_key} has no port: {self.outputs[url_key]}"
        return port


def engine() -> docker.DockerClient:
    return docker.from_env()


def host(container: str) -> testinfra.host.Host:
    return testinfra.get_host(f"docker://{container}")
