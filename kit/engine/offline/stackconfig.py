"""The effective configuration of a stack, as `pulumi config` would give it to the program.

Values come from `Pulumi.<stack>.yaml`, or from another stack's file for throw-away stacks
(`--config-from ci`, like `pulumi stack init --copy-config-from`), then `--config key=value`
overrides. Keys without a namespace belong to the project. Encrypted (`secure:`) values are for
the real engine; the offline run reads plain values only and leaves generated secrets to the
program.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from kit.outputs import ROOT


def project_name(root: Path = ROOT) -> str:
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    return str(project["name"])


def _as_config_string(value: Any) -> str:
    """Pulumi hands every config value to the program as a string; structured ones as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _qualified(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def effective_config(
    stack: str, *, config_from: str | None = None, overrides: list[str] | None = None, root: Path = ROOT
) -> dict[str, str]:
    project = project_name(root)
    source = config_from or stack
    path = root / f"Pulumi.{source}.yaml"
    if not path.is_file():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml")
        )
        raise ValueError(
            f"no stack file {path.name} for stack '{source}'; stacks with a file: {', '.join(known)}"
            + ("" if config_from else f" (use --config-from one of them for '{stack}')")
        )
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = {}
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            raise ValueError(
                f"{path.name}: '{key}' is encrypted (secure:); the offline provisioner reads "
                f"plain values only. Override it: --config {key}=VALUE"
            )
        config[_qualified(key, project)] = _as_config_string(value)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--config '{item}' is not KEY=VALUE (e.g. --config replicas=3)")
        config[_qualified(key, project)] = value
    return config
